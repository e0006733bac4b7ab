/*
 * A plain libusb-1.0 program, for testing the stand-in (native/usb-shim) directly: linked against
 * the system's libusb-1.0 and run with LD_LIBRARY_PATH pointing at the stand-in, as any program is.
 *
 *   usb-probe [op ...]     runs the ops given, or reads them from stdin, one per line
 *
 * ops: list | open | close | claim <n> | release <n> | kernel-active <n> | detach <n> |
 *      string <index> | out <hex bytes> [timeout ms] | in <length> [timeout ms] | control
 * Each prints one JSON line: {"op":"in","code":0,"status":"LIBUSB_SUCCESS ...","transferred":2,"data":"80 00"}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb-1.0/libusb.h>

static libusb_device_handle *handle;

static void result(const char *op, int code, const char *extra)
{
	printf("{\"op\":\"%s\",\"code\":%d,\"status\":\"%s\"%s}\n", op, code, libusb_error_name(code), extra != NULL ? extra : "");
}

static void hex(char *out, size_t cap, const unsigned char *data, int n)
{
	size_t at = 0;
	out[0] = '\0';
	for (int i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, i == 0 ? "%02x" : " %02x", data[i]);
}

static void do_list(void)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(NULL, &list);
	if (n < 0)
		return result("list", (int)n, NULL);
	char extra[1024] = ",\"devices\":[";
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;
		uint8_t ports[8];
		libusb_get_device_descriptor(list[i], &d);
		int np = libusb_get_port_numbers(list[i], ports, sizeof ports);
		size_t at = strlen(extra);
		snprintf(extra + at, sizeof extra - at, "%s{\"id\":\"%04x:%04x\",\"bcdDevice\":%u,\"bus\":%u,\"address\":%u,\"ports\":%d}", i > 0 ? "," : "",
			 d.idVendor, d.idProduct, d.bcdDevice, libusb_get_bus_number(list[i]), libusb_get_device_address(list[i]), np > 0 ? ports[0] : np);
	}
	strncat(extra, "]", sizeof extra - strlen(extra) - 1);
	libusb_free_device_list(list, 1);
	result("list", 0, extra);
}

static void do_open(void)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(NULL, &list);
	int code = LIBUSB_ERROR_NOT_FOUND;
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor d;
		libusb_get_device_descriptor(list[i], &d);
		if (d.idVendor == 0x0f18 && d.idProduct == 0x0006) {
			code = libusb_open(list[i], &handle);
			break;
		}
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	result("open", code, NULL);
}

static int parse_hex(const char *text, unsigned char *out, int cap)
{
	int n = 0;
	for (const char *p = text; p[0] != '\0' && p[1] != '\0' && n < cap; p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1)
			break;
		out[n++] = (unsigned char)v;
	}
	return n;
}

static void run(char *line)
{
	char *op = strtok(line, " \t\r\n");
	char *a = strtok(NULL, " \t\r\n");
	char *b = strtok(NULL, " \t\r\n");
	char extra[2048];
	if (op == NULL)
		return;
	if (strcmp(op, "list") == 0)
		return do_list();
	if (strcmp(op, "open") == 0)
		return do_open();
	if (handle == NULL) {
		printf("{\"op\":\"%s\",\"code\":null,\"status\":\"not open\"}\n", op);
		return;
	}
	if (strcmp(op, "close") == 0) {
		libusb_close(handle);
		handle = NULL;
		return result(op, 0, NULL);
	}
	int n = a ? atoi(a) : 0;
	if (strcmp(op, "claim") == 0)
		return result(op, libusb_claim_interface(handle, n), NULL);
	if (strcmp(op, "release") == 0)
		return result(op, libusb_release_interface(handle, n), NULL);
	if (strcmp(op, "kernel-active") == 0)
		return result(op, libusb_kernel_driver_active(handle, n), NULL);
	if (strcmp(op, "detach") == 0)
		return result(op, libusb_detach_kernel_driver(handle, n), NULL);
	if (strcmp(op, "control") == 0) {
		unsigned char buf[18];
		return result(op, libusb_control_transfer(handle, 0x80, 6, 0x0100, 0, buf, sizeof buf, 1000), NULL);
	}
	if (strcmp(op, "string") == 0) {
		unsigned char s[256];
		int r = libusb_get_string_descriptor_ascii(handle, (uint8_t)n, s, sizeof s);
		if (r < 0)
			return result(op, r, NULL);
		snprintf(extra, sizeof extra, ",\"value\":\"%s\"", s);
		return result(op, 0, extra);
	}
	unsigned int timeout = b ? (unsigned)atoi(b) : 1000;
	if (strcmp(op, "out") == 0) {
		unsigned char data[512];
		int len = a ? parse_hex(a, data, sizeof data) : 0, done = -1;
		int r = libusb_bulk_transfer(handle, 0x02, data, len, &done, timeout);
		snprintf(extra, sizeof extra, ",\"transferred\":%d", done);
		return result(op, r, extra);
	}
	if (strcmp(op, "in") == 0) {
		int len = n > 0 ? n : 2, done = -1;
		unsigned char *data = calloc(1, (size_t)len);
		if (data == NULL)
			return result(op, LIBUSB_ERROR_NO_MEM, NULL);
		int r = libusb_bulk_transfer(handle, 0x82, data, len, &done, timeout);
		char text[1024];
		hex(text, sizeof text, data, done > 0 ? done : 0);
		snprintf(extra, sizeof extra, ",\"transferred\":%d,\"data\":\"%s\"", done, text);
		free(data);
		return result(op, r, extra);
	}
	printf("{\"op\":\"%s\",\"code\":null,\"status\":\"unknown op\"}\n", op);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int r = libusb_init(NULL);
	if (r != 0) {
		result("init", r, NULL);
		return 1;
	}
	char line[1200];
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			snprintf(line, sizeof line, "%s", argv[i]);
			run(line);
		}
	} else {
		while (fgets(line, sizeof line, stdin) != NULL)
			run(line);
	}
	if (handle != NULL)
		libusb_close(handle);
	libusb_exit(NULL);
	return 0;
}
