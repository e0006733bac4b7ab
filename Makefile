# make (or make rpm): the four RPM packages (server, client, common, data-warwick) into ./rpms,
# versioned from the UTC build date as upstream's Makefile does. npm ci installs the build tools
# (TypeScript); packaging/build-rpms.sh compiles, stages the module with production dependencies
# only and runs rpmbuild. RPM_OUT and RPM_VERSION are passed through (see the script).
.PHONY: all rpm
all: rpm

rpm:
	npm ci --no-audit --no-fund
	bash packaging/build-rpms.sh
