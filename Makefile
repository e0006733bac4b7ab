# make rpm: the four RPM packages (server, client, common, data-warwick) into ./rpms, versioned
# from the UTC build date as upstream's Makefile does. See packaging/build-rpms.sh.
.PHONY: rpm
rpm:
	npm ci --no-audit --no-fund
	bash packaging/build-rpms.sh
