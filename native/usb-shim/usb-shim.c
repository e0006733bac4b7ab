/*
 * A libusb-1.0 stand-in that puts the simulated FLI Atlas (atlas-sim) on the "bus".
 *
 * Built as build/usb-shim/libusb-1.0.so.0 and loaded ahead of the system library with
 * LD_LIBRARY_PATH, it makes any libusb-1.0 program (FLI's libfli2, INDI's indi_fli_focus, ...) see
 * one FLI focuser, USB 0f18:0006, whose bulk transfers go to atlas-sim over the Unix socket named
 * by ATLAS_SIM_SOCKET. No socket, or no simulator on it, is a bus with nothing plugged in.
 *
 * The socket protocol is src/hardware/simulator/socket/protocol.ts:
 *   request  u8 op     | u32be length | payload
 *   reply    i8 status | u32be length | payload      (status: 0 or a libusb error code)
 * One connection per open device handle. Every failure of the socket becomes the libusb error a
 * real bus gives: the simulator gone (closed socket) is LIBUSB_ERROR_NO_DEVICE, silence past the
 * transfer time-out is LIBUSB_ERROR_TIMEOUT, more data than asked for is LIBUSB_ERROR_OVERFLOW, a
 * reply that breaks the protocol is LIBUSB_ERROR_IO (and the handle is dead from then on, as a
 * device that fell off the bus). Nothing the simulator sends can make this library crash or
 * allocate more than MAX_PAYLOAD bytes.
 *
 * Implemented: what libfli2 and indi_fli_focus call (init, exit, get_device_list,
 * free_device_list, get_device, get_device_descriptor, get_device_address, get_port_numbers,
 * get_string_descriptor_ascii, open, close, kernel_driver_active, detach_kernel_driver,
 * claim_interface, release_interface, bulk_transfer, error_name) and the plain synchronous calls a
 * simple libusb program uses besides. Every other libusb-1.0 function exists (so programs load)
 * and answers LIBUSB_ERROR_NOT_SUPPORTED, saying so on stderr once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libusb-1.0/libusb.h>

#define API __attribute__((visibility("default")))

enum { PROTOCOL_VERSION = 1, MAX_PAYLOAD = 65536, HEADER = 5 };
enum { OP_HELLO = 1, OP_CLAIM = 2, OP_RELEASE = 3, OP_OUT = 4, OP_IN = 5 };
/* HELLO, CLAIM and RELEASE are answered at once by a live simulator. */
enum { CONTROL_WAIT_MS = 5000 };
/* A transfer's reply may take its time-out plus this before the simulator counts as hung. */
enum { TRANSFER_GRACE_MS = 2000 };
enum { BUS_NUMBER = 1, DEVICE_ADDRESS = 2, PORT_NUMBER = 1 };

struct sim_info {
	uint16_t vendor, product, bcd_device;
	char strings[3][256]; /* manufacturer, product, serial: string descriptor indexes 1, 2, 3 */
};

struct libusb_context {
	int unused;
};

struct libusb_device {
	int refs;
	struct sim_info info;
};

struct libusb_device_handle {
	libusb_device *dev;
	int fd;
	int dead; /* the device went away: every call is LIBUSB_ERROR_NO_DEVICE */
	pthread_mutex_t lock;
};

static pthread_mutex_t refs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct libusb_context default_context;

static int debug_enabled(void)
{
	const char *d = getenv("ATLAS_SIM_DEBUG");
	return d != NULL && *d != '\0' && strcmp(d, "0") != 0;
}

static void note(const char *fmt, ...)
{
	if (!debug_enabled())
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("usb-shim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * errno as libusb's Linux backend leaves it, for programs that read it (libfli reports a failed
 * transfer as -errno). A transfer that reached the device ends with libusb reaping URBs until
 * REAPURBNDELAY fails with EAGAIN, whatever the transfer's own status (completed, short, timed
 * out, overflowed, stalled); one that cannot be submitted because the device is gone fails with
 * ENODEV. Claiming fails as the CLAIMINTERFACE ioctl does. Everything else leaves errno alone.
 */
static int transfer_errno(int code)
{
	errno = code == LIBUSB_ERROR_NO_DEVICE ? ENODEV : EAGAIN;
	return code;
}

static int claim_errno(int code)
{
	switch (code) {
	case LIBUSB_ERROR_NO_DEVICE: errno = ENODEV; break;
	case LIBUSB_ERROR_BUSY: errno = EBUSY; break;
	case LIBUSB_ERROR_NOT_FOUND: errno = ENOENT; break;
	default: break;
	}
	return code;
}

/* ---- the socket ---------------------------------------------------------------------------- */

static int sim_connect(void)
{
	const char *path = getenv("ATLAS_SIM_SOCKET");
	if (path == NULL || *path == '\0') {
		static int told;
		if (!told) {
			told = 1;
			fputs("usb-shim: ATLAS_SIM_SOCKET is not set: no USB device on this bus\n", stderr);
		}
		return -1;
	}
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr.sun_path) {
		note("socket path too long: %s", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		note("no simulator on %s (%s)", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum io_result { IO_OK = 0, IO_CLOSED = -1, IO_TIMEOUT = -2 };

static enum io_result write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a simulator that went away must not kill the program with SIGPIPE. */
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return IO_CLOSED;
		}
		buf += w;
		n -= (size_t)w;
	}
	return IO_OK;
}

/* Reads exactly n bytes (into buf, or discarded when buf is NULL) before deadline (-1: none). */
static enum io_result read_exact(int fd, uint8_t *buf, size_t n, int64_t deadline)
{
	uint8_t sink[512];
	while (n > 0) {
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return IO_TIMEOUT;
			wait = left > 60000 ? 60000 : (int)left;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return IO_CLOSED;
		if (r == 0)
			continue; /* the loop checks the deadline */
		size_t want = buf != NULL ? n : (n < sizeof sink ? n : sizeof sink);
		ssize_t got = recv(fd, buf != NULL ? buf : sink, want, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return IO_CLOSED;
		if (buf != NULL)
			buf += got;
		n -= (size_t)got;
	}
	return IO_OK;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int known_status(int s)
{
	return s == LIBUSB_SUCCESS || (s <= LIBUSB_ERROR_IO && s >= LIBUSB_ERROR_NOT_SUPPORTED) || s == LIBUSB_ERROR_NO_MEM ||
	       s == LIBUSB_ERROR_INTERRUPTED || s == LIBUSB_ERROR_OTHER;
}

/*
 * One request and its reply on fd. The reply payload goes to out (up to cap bytes; *out_len gets
 * its length); a longer one is read past and answered LIBUSB_ERROR_OVERFLOW. wait_ms < 0: no limit.
 * Returns the simulator's status, or the error the bus gives for a broken socket; *broken is set
 * when the connection is of no further use.
 */
static int exchange(int fd, uint8_t op, const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len,
		    int wait_ms, int *broken)
{
	uint8_t head[HEADER];
	*broken = 0;
	if (out_len != NULL)
		*out_len = 0;
	head[0] = op;
	put32(head + 1, (uint32_t)len);
	if (write_all(fd, head, HEADER) != IO_OK || (len > 0 && write_all(fd, payload, len) != IO_OK)) {
		*broken = 1;
		return LIBUSB_ERROR_NO_DEVICE;
	}
	int64_t deadline = wait_ms < 0 ? -1 : now_ms() + wait_ms;
	enum io_result r = read_exact(fd, head, HEADER, deadline);
	if (r != IO_OK) {
		*broken = 1;
		return r == IO_TIMEOUT ? LIBUSB_ERROR_TIMEOUT : LIBUSB_ERROR_NO_DEVICE;
	}
	int status = (int8_t)head[0];
	uint32_t size = get32(head + 1);
	if (size > MAX_PAYLOAD || !known_status(status)) {
		note("a reply that breaks the protocol (status %d, %u bytes): the device is treated as gone", status, size);
		*broken = 1;
		return LIBUSB_ERROR_IO;
	}
	/* A failed request carries no data worth having; more data than asked for is an overflow, and
	 * the caller gets what fitted, as libusb reports the bytes it did receive. */
	size_t keep = status != LIBUSB_SUCCESS ? 0 : (size > cap ? cap : size);
	r = keep > 0 ? read_exact(fd, out, keep, deadline) : IO_OK;
	if (r == IO_OK && size > keep)
		r = read_exact(fd, NULL, size - keep, deadline);
	if (r != IO_OK) {
		*broken = 1;
		return r == IO_TIMEOUT ? LIBUSB_ERROR_TIMEOUT : LIBUSB_ERROR_NO_DEVICE;
	}
	if (out_len != NULL)
		*out_len = keep;
	if (status == LIBUSB_SUCCESS && size > cap)
		return LIBUSB_ERROR_OVERFLOW;
	return status;
}

/* HELLO on a fresh connection: the device's descriptor fields and strings, or an error. */
static int hello(int fd, struct sim_info *info)
{
	uint8_t version[2] = { 0, PROTOCOL_VERSION };
	uint8_t reply[6 + 3 * 256];
	size_t n;
	int broken;
	int status = exchange(fd, OP_HELLO, version, sizeof version, reply, sizeof reply, &n, CONTROL_WAIT_MS, &broken);
	if (status != LIBUSB_SUCCESS)
		return status;
	if (n < 9)
		return LIBUSB_ERROR_IO;
	memset(info, 0, sizeof *info);
	info->vendor = (uint16_t)((reply[0] << 8) | reply[1]);
	info->product = (uint16_t)((reply[2] << 8) | reply[3]);
	info->bcd_device = (uint16_t)((reply[4] << 8) | reply[5]);
	size_t at = 6;
	for (int i = 0; i < 3; i++) {
		if (at >= n || at + 1 + reply[at] > n)
			return LIBUSB_ERROR_IO;
		memcpy(info->strings[i], reply + at + 1, reply[at]);
		info->strings[i][reply[at]] = '\0';
		at += 1 + (size_t)reply[at];
	}
	return LIBUSB_SUCCESS;
}

/* A request on an open handle; a broken connection makes the handle dead. */
static int handle_request(libusb_device_handle *h, uint8_t op, const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
			  size_t *out_len, int wait_ms)
{
	int broken, status;
	pthread_mutex_lock(&h->lock);
	if (h->dead) {
		pthread_mutex_unlock(&h->lock);
		return LIBUSB_ERROR_NO_DEVICE;
	}
	status = exchange(h->fd, op, payload, len, out, cap, out_len, wait_ms, &broken);
	if (broken) {
		h->dead = 1;
		close(h->fd);
		h->fd = -1;
	}
	pthread_mutex_unlock(&h->lock);
	return status;
}

/* The handle's connection is out of step (a reply that made no sense): the device is gone for it. */
static void kill_handle(libusb_device_handle *h)
{
	pthread_mutex_lock(&h->lock);
	if (!h->dead) {
		h->dead = 1;
		close(h->fd);
		h->fd = -1;
	}
	pthread_mutex_unlock(&h->lock);
}

/* ---- library, devices ---------------------------------------------------------------------- */

API int libusb_init(libusb_context **ctx)
{
	if (ctx != NULL) {
		*ctx = calloc(1, sizeof **ctx);
		if (*ctx == NULL)
			return LIBUSB_ERROR_NO_MEM;
	}
	return LIBUSB_SUCCESS;
}

API void libusb_exit(libusb_context *ctx)
{
	if (ctx != NULL && ctx != &default_context)
		free(ctx);
}

API ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	(void)ctx;
	libusb_device **out = calloc(2, sizeof *out);
	if (out == NULL)
		return LIBUSB_ERROR_NO_MEM;
	*list = out;
	int fd = sim_connect();
	if (fd < 0)
		return 0;
	struct sim_info info;
	int status = hello(fd, &info);
	close(fd);
	if (status != LIBUSB_SUCCESS) {
		note("the simulator reports no device (%s)", libusb_error_name(status));
		return 0;
	}
	libusb_device *dev = calloc(1, sizeof *dev);
	if (dev == NULL) {
		free(out);
		*list = NULL;
		return LIBUSB_ERROR_NO_MEM;
	}
	dev->refs = 1;
	dev->info = info;
	out[0] = dev;
	return 1;
}

API libusb_device *libusb_ref_device(libusb_device *dev)
{
	pthread_mutex_lock(&refs_lock);
	dev->refs++;
	pthread_mutex_unlock(&refs_lock);
	return dev;
}

API void libusb_unref_device(libusb_device *dev)
{
	if (dev == NULL)
		return;
	pthread_mutex_lock(&refs_lock);
	int left = --dev->refs;
	pthread_mutex_unlock(&refs_lock);
	if (left == 0)
		free(dev);
}

API void libusb_free_device_list(libusb_device **list, int unref_devices)
{
	if (list == NULL)
		return;
	if (unref_devices)
		for (libusb_device **d = list; *d != NULL; d++)
			libusb_unref_device(*d);
	free(list);
}

API int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
	memset(desc, 0, sizeof *desc);
	desc->bLength = LIBUSB_DT_DEVICE_SIZE;
	desc->bDescriptorType = LIBUSB_DT_DEVICE;
	desc->bcdUSB = 0x0200;
	desc->bDeviceClass = LIBUSB_CLASS_VENDOR_SPEC;
	desc->bMaxPacketSize0 = 64;
	desc->idVendor = dev->info.vendor;
	desc->idProduct = dev->info.product;
	desc->bcdDevice = dev->info.bcd_device;
	desc->iManufacturer = 1;
	desc->iProduct = 2;
	desc->iSerialNumber = 3;
	desc->bNumConfigurations = 1;
	return LIBUSB_SUCCESS;
}

API uint8_t libusb_get_bus_number(libusb_device *dev)
{
	(void)dev;
	return BUS_NUMBER;
}

API uint8_t libusb_get_port_number(libusb_device *dev)
{
	(void)dev;
	return PORT_NUMBER;
}

API int libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int port_numbers_len)
{
	(void)dev;
	if (port_numbers_len < 1)
		return LIBUSB_ERROR_OVERFLOW;
	port_numbers[0] = PORT_NUMBER;
	return 1;
}

API int libusb_get_port_path(libusb_context *ctx, libusb_device *dev, uint8_t *path, uint8_t path_length)
{
	(void)ctx;
	return libusb_get_port_numbers(dev, path, path_length);
}

API uint8_t libusb_get_device_address(libusb_device *dev)
{
	(void)dev;
	return DEVICE_ADDRESS;
}

API int libusb_get_device_speed(libusb_device *dev)
{
	(void)dev;
	return LIBUSB_SPEED_FULL;
}

API int libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint)
{
	(void)dev;
	return (endpoint & 0x7f) == 2 ? 64 : LIBUSB_ERROR_NOT_FOUND;
}

API libusb_device *libusb_get_parent(libusb_device *dev)
{
	(void)dev;
	return NULL; /* the simulated focuser hangs off a root hub nobody lists */
}

/* ---- handles ------------------------------------------------------------------------------- */

API int libusb_open(libusb_device *dev, libusb_device_handle **dev_handle)
{
	int fd = sim_connect();
	if (fd < 0)
		return LIBUSB_ERROR_NO_DEVICE;
	struct sim_info now;
	int status = hello(fd, &now);
	/* Another serial number on the socket is another device: the one listed has gone. */
	if (status == LIBUSB_SUCCESS && strcmp(now.strings[2], dev->info.strings[2]) != 0)
		status = LIBUSB_ERROR_NO_DEVICE;
	if (status != LIBUSB_SUCCESS) {
		close(fd);
		return status == LIBUSB_ERROR_TIMEOUT || status == LIBUSB_ERROR_IO ? LIBUSB_ERROR_IO : LIBUSB_ERROR_NO_DEVICE;
	}
	libusb_device_handle *h = calloc(1, sizeof *h);
	if (h == NULL) {
		close(fd);
		return LIBUSB_ERROR_NO_MEM;
	}
	h->dev = libusb_ref_device(dev);
	h->fd = fd;
	pthread_mutex_init(&h->lock, NULL);
	*dev_handle = h;
	return LIBUSB_SUCCESS;
}

API void libusb_close(libusb_device_handle *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	libusb_unref_device(h->dev);
	free(h);
}

API libusb_device *libusb_get_device(libusb_device_handle *h)
{
	return h->dev;
}

API libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vendor_id, uint16_t product_id)
{
	libusb_device **list;
	libusb_device_handle *h = NULL;
	if (libusb_get_device_list(ctx, &list) < 0)
		return NULL;
	for (libusb_device **d = list; *d != NULL; d++)
		if ((*d)->info.vendor == vendor_id && (*d)->info.product == product_id && libusb_open(*d, &h) != LIBUSB_SUCCESS)
			h = NULL;
	libusb_free_device_list(list, 1);
	return h;
}

API int libusb_get_configuration(libusb_device_handle *h, int *config)
{
	if (h->dead)
		return LIBUSB_ERROR_NO_DEVICE;
	*config = 1;
	return LIBUSB_SUCCESS;
}

API int libusb_set_configuration(libusb_device_handle *h, int configuration)
{
	if (h->dead)
		return LIBUSB_ERROR_NO_DEVICE;
	return configuration == 1 || configuration == -1 ? LIBUSB_SUCCESS : LIBUSB_ERROR_NOT_FOUND;
}

API int libusb_kernel_driver_active(libusb_device_handle *h, int interface_number)
{
	if (h->dead)
		return LIBUSB_ERROR_NO_DEVICE;
	return interface_number == 0 ? 0 : LIBUSB_ERROR_NOT_FOUND;
}

API int libusb_detach_kernel_driver(libusb_device_handle *h, int interface_number)
{
	if (h->dead)
		return LIBUSB_ERROR_NO_DEVICE;
	(void)interface_number;
	return LIBUSB_ERROR_NOT_FOUND; /* no kernel driver is bound to a vendor-class focuser */
}

API int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)h;
	(void)enable;
	return LIBUSB_SUCCESS;
}

static int interface_request(libusb_device_handle *h, uint8_t op, int interface_number)
{
	if (interface_number < 0 || interface_number > 255)
		return LIBUSB_ERROR_INVALID_PARAM;
	uint8_t n = (uint8_t)interface_number;
	return claim_errno(handle_request(h, op, &n, 1, NULL, 0, NULL, CONTROL_WAIT_MS));
}

API int libusb_claim_interface(libusb_device_handle *h, int interface_number)
{
	return interface_request(h, OP_CLAIM, interface_number);
}

API int libusb_release_interface(libusb_device_handle *h, int interface_number)
{
	return interface_request(h, OP_RELEASE, interface_number);
}

API int libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
	(void)endpoint;
	return h->dead ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_SUCCESS;
}

API int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t desc_index, unsigned char *data, int length)
{
	if (desc_index == 0 || length < 1)
		return LIBUSB_ERROR_INVALID_PARAM; /* as libusb: index 0 is the language list */
	if (h->dead)
		return LIBUSB_ERROR_NO_DEVICE;
	if (desc_index > 3)
		return LIBUSB_ERROR_PIPE; /* the device stalls a string it does not have */
	const char *s = h->dev->info.strings[desc_index - 1];
	size_t n = strlen(s);
	if (n > (size_t)length - 1)
		n = (size_t)length - 1;
	memcpy(data, s, n);
	data[n] = '\0';
	return (int)n;
}

/* ---- transfers ----------------------------------------------------------------------------- */

API int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data, int length,
			     int *actual_length, unsigned int timeout)
{
	int ignored;
	int *transferred = actual_length != NULL ? actual_length : &ignored;
	*transferred = 0;
	if (length < 0 || (length > 0 && data == NULL))
		return LIBUSB_ERROR_INVALID_PARAM;
	int wait_ms = timeout == 0 ? -1 : (int)(timeout > INT32_MAX - TRANSFER_GRACE_MS ? INT32_MAX : timeout + TRANSFER_GRACE_MS);
	if (endpoint & LIBUSB_ENDPOINT_IN) {
		uint8_t request[9];
		request[0] = endpoint;
		put32(request + 1, (uint32_t)length);
		put32(request + 5, timeout);
		size_t got = 0;
		int status = handle_request(h, OP_IN, request, sizeof request, data, (size_t)length, &got, wait_ms);
		*transferred = (int)got;
		return transfer_errno(status);
	}
	if ((size_t)length > MAX_PAYLOAD - 5) {
		note("a bulk OUT of %d bytes is more than the stand-in carries (%d)", length, MAX_PAYLOAD - 5);
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	uint8_t small[64];
	uint8_t *request = (size_t)length + 5 <= sizeof small ? small : malloc((size_t)length + 5);
	if (request == NULL)
		return LIBUSB_ERROR_NO_MEM;
	request[0] = endpoint;
	put32(request + 1, timeout);
	if (length > 0)
		memcpy(request + 5, data, (size_t)length);
	uint8_t ack[4];
	size_t n = 0;
	int status = handle_request(h, OP_OUT, request, 5 + (size_t)length, ack, sizeof ack, &n, wait_ms);
	if (request != small)
		free(request);
	if (status == LIBUSB_SUCCESS) {
		if (n != sizeof ack) {
			note("a bulk OUT acknowledged with %zu bytes: the device is treated as gone", n);
			kill_handle(h);
			status = LIBUSB_ERROR_IO;
		} else {
			uint32_t done = get32(ack);
			*transferred = done > (uint32_t)length ? length : (int)done;
		}
	}
	return transfer_errno(status);
}

/* ---- errors, version, options -------------------------------------------------------------- */

API const char *libusb_error_name(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED";
	case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
	case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
	case LIBUSB_ERROR_ACCESS: return "LIBUSB_ERROR_ACCESS";
	case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
	case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
	case LIBUSB_ERROR_BUSY: return "LIBUSB_ERROR_BUSY";
	case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
	case LIBUSB_ERROR_OVERFLOW: return "LIBUSB_ERROR_OVERFLOW";
	case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
	case LIBUSB_ERROR_INTERRUPTED: return "LIBUSB_ERROR_INTERRUPTED";
	case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "LIBUSB_ERROR_NOT_SUPPORTED";
	case LIBUSB_ERROR_OTHER: return "LIBUSB_ERROR_OTHER";
	default: return "**UNKNOWN**";
	}
}

API const char *libusb_strerror(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "Success";
	case LIBUSB_ERROR_IO: return "Input/Output Error";
	case LIBUSB_ERROR_INVALID_PARAM: return "Invalid parameter";
	case LIBUSB_ERROR_ACCESS: return "Access denied (insufficient permissions)";
	case LIBUSB_ERROR_NO_DEVICE: return "No such device (it may have been disconnected)";
	case LIBUSB_ERROR_NOT_FOUND: return "Entity not found";
	case LIBUSB_ERROR_BUSY: return "Resource busy";
	case LIBUSB_ERROR_TIMEOUT: return "Operation timed out";
	case LIBUSB_ERROR_OVERFLOW: return "Overflow";
	case LIBUSB_ERROR_PIPE: return "Pipe error";
	case LIBUSB_ERROR_INTERRUPTED: return "System call interrupted (perhaps due to signal)";
	case LIBUSB_ERROR_NO_MEM: return "Insufficient memory";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "Operation not supported or unimplemented on this platform";
	default: return "Other error";
	}
}

API const struct libusb_version *libusb_get_version(void)
{
	static const struct libusb_version version = { 1, 0, 26, 0, "-atlas-sim", "https://libusb.info" };
	return &version;
}

API int libusb_has_capability(uint32_t capability)
{
	(void)capability;
	return 0;
}

API int libusb_setlocale(const char *locale)
{
	(void)locale;
	return LIBUSB_SUCCESS;
}

API void libusb_set_debug(libusb_context *ctx, int level)
{
	(void)ctx;
	(void)level;
}

API void libusb_set_log_cb(libusb_context *ctx, libusb_log_cb cb, int mode)
{
	(void)ctx;
	(void)cb;
	(void)mode;
}

API int libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)
{
	(void)ctx;
	/* Logging options are accepted (and ignored); anything that changes behaviour is not offered. */
	return option == LIBUSB_OPTION_LOG_LEVEL ? LIBUSB_SUCCESS : LIBUSB_ERROR_NOT_SUPPORTED;
}

/* ---- everything else: present, and says it is not supported ------------------------------- */

static void unsupported(const char *name)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char told[64][48];
	static int count;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < count; i++)
		if (strcmp(told[i], name) == 0) {
			pthread_mutex_unlock(&lock);
			return;
		}
	if (count < 64)
		snprintf(told[count++], sizeof told[0], "%s", name);
	pthread_mutex_unlock(&lock);
	fprintf(stderr, "usb-shim: %s is not supported by the simulated-focuser stand-in (LIBUSB_ERROR_NOT_SUPPORTED)\n", name);
}

#define NOT_SUPPORTED(name) do { unsupported(#name); return LIBUSB_ERROR_NOT_SUPPORTED; } while (0)
#define NOT_SUPPORTED_NULL(name) do { unsupported(#name); return NULL; } while (0)
#define NOT_SUPPORTED_VOID(name) do { unsupported(#name); return; } while (0)

API int libusb_get_active_config_descriptor(libusb_device *dev, struct libusb_config_descriptor **config)
{ (void)dev; (void)config; NOT_SUPPORTED(libusb_get_active_config_descriptor); }
API int libusb_get_config_descriptor(libusb_device *dev, uint8_t config_index, struct libusb_config_descriptor **config)
{ (void)dev; (void)config_index; (void)config; NOT_SUPPORTED(libusb_get_config_descriptor); }
API int libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t value, struct libusb_config_descriptor **config)
{ (void)dev; (void)value; (void)config; NOT_SUPPORTED(libusb_get_config_descriptor_by_value); }
API void libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{ if (config != NULL) NOT_SUPPORTED_VOID(libusb_free_config_descriptor); }
API int libusb_get_ss_endpoint_companion_descriptor(libusb_context *ctx, const struct libusb_endpoint_descriptor *endpoint,
						    struct libusb_ss_endpoint_companion_descriptor **ep_comp)
{ (void)ctx; (void)endpoint; (void)ep_comp; NOT_SUPPORTED(libusb_get_ss_endpoint_companion_descriptor); }
API void libusb_free_ss_endpoint_companion_descriptor(struct libusb_ss_endpoint_companion_descriptor *ep_comp)
{ if (ep_comp != NULL) NOT_SUPPORTED_VOID(libusb_free_ss_endpoint_companion_descriptor); }
API int libusb_get_bos_descriptor(libusb_device_handle *h, struct libusb_bos_descriptor **bos)
{ (void)h; (void)bos; NOT_SUPPORTED(libusb_get_bos_descriptor); }
API void libusb_free_bos_descriptor(struct libusb_bos_descriptor *bos)
{ if (bos != NULL) NOT_SUPPORTED_VOID(libusb_free_bos_descriptor); }
API int libusb_get_usb_2_0_extension_descriptor(libusb_context *ctx, struct libusb_bos_dev_capability_descriptor *dev_cap,
						 struct libusb_usb_2_0_extension_descriptor **ext)
{ (void)ctx; (void)dev_cap; (void)ext; NOT_SUPPORTED(libusb_get_usb_2_0_extension_descriptor); }
API void libusb_free_usb_2_0_extension_descriptor(struct libusb_usb_2_0_extension_descriptor *ext)
{ if (ext != NULL) NOT_SUPPORTED_VOID(libusb_free_usb_2_0_extension_descriptor); }
API int libusb_get_ss_usb_device_capability_descriptor(libusb_context *ctx, struct libusb_bos_dev_capability_descriptor *dev_cap,
							struct libusb_ss_usb_device_capability_descriptor **cap)
{ (void)ctx; (void)dev_cap; (void)cap; NOT_SUPPORTED(libusb_get_ss_usb_device_capability_descriptor); }
API void libusb_free_ss_usb_device_capability_descriptor(struct libusb_ss_usb_device_capability_descriptor *cap)
{ if (cap != NULL) NOT_SUPPORTED_VOID(libusb_free_ss_usb_device_capability_descriptor); }
API int libusb_get_container_id_descriptor(libusb_context *ctx, struct libusb_bos_dev_capability_descriptor *dev_cap,
					   struct libusb_container_id_descriptor **container_id)
{ (void)ctx; (void)dev_cap; (void)container_id; NOT_SUPPORTED(libusb_get_container_id_descriptor); }
API void libusb_free_container_id_descriptor(struct libusb_container_id_descriptor *container_id)
{ if (container_id != NULL) NOT_SUPPORTED_VOID(libusb_free_container_id_descriptor); }
API int libusb_get_max_iso_packet_size(libusb_device *dev, unsigned char endpoint)
{ (void)dev; (void)endpoint; NOT_SUPPORTED(libusb_get_max_iso_packet_size); }
API int libusb_wrap_sys_device(libusb_context *ctx, intptr_t sys_dev, libusb_device_handle **dev_handle)
{ (void)ctx; (void)sys_dev; (void)dev_handle; NOT_SUPPORTED(libusb_wrap_sys_device); }
API int libusb_set_interface_alt_setting(libusb_device_handle *h, int interface_number, int alternate_setting)
{ (void)h; (void)interface_number; (void)alternate_setting; NOT_SUPPORTED(libusb_set_interface_alt_setting); }
API int libusb_reset_device(libusb_device_handle *h)
{ (void)h; NOT_SUPPORTED(libusb_reset_device); }
API int libusb_alloc_streams(libusb_device_handle *h, uint32_t num_streams, unsigned char *endpoints, int num_endpoints)
{ (void)h; (void)num_streams; (void)endpoints; (void)num_endpoints; NOT_SUPPORTED(libusb_alloc_streams); }
API int libusb_free_streams(libusb_device_handle *h, unsigned char *endpoints, int num_endpoints)
{ (void)h; (void)endpoints; (void)num_endpoints; NOT_SUPPORTED(libusb_free_streams); }
API unsigned char *libusb_dev_mem_alloc(libusb_device_handle *h, size_t length)
{ (void)h; (void)length; NOT_SUPPORTED_NULL(libusb_dev_mem_alloc); }
API int libusb_dev_mem_free(libusb_device_handle *h, unsigned char *buffer, size_t length)
{ (void)h; (void)buffer; (void)length; NOT_SUPPORTED(libusb_dev_mem_free); }
API int libusb_attach_kernel_driver(libusb_device_handle *h, int interface_number)
{ (void)h; (void)interface_number; NOT_SUPPORTED(libusb_attach_kernel_driver); }
API struct libusb_transfer *libusb_alloc_transfer(int iso_packets)
{ (void)iso_packets; NOT_SUPPORTED_NULL(libusb_alloc_transfer); }
API int libusb_submit_transfer(struct libusb_transfer *transfer)
{ (void)transfer; NOT_SUPPORTED(libusb_submit_transfer); }
API int libusb_cancel_transfer(struct libusb_transfer *transfer)
{ (void)transfer; NOT_SUPPORTED(libusb_cancel_transfer); }
API void libusb_free_transfer(struct libusb_transfer *transfer)
{ if (transfer != NULL) NOT_SUPPORTED_VOID(libusb_free_transfer); }
API void libusb_transfer_set_stream_id(struct libusb_transfer *transfer, uint32_t stream_id)
{ (void)transfer; (void)stream_id; NOT_SUPPORTED_VOID(libusb_transfer_set_stream_id); }
API uint32_t libusb_transfer_get_stream_id(struct libusb_transfer *transfer)
{ (void)transfer; unsupported("libusb_transfer_get_stream_id"); return 0; }
API int libusb_control_transfer(libusb_device_handle *h, uint8_t request_type, uint8_t bRequest, uint16_t wValue,
				uint16_t wIndex, unsigned char *data, uint16_t wLength, unsigned int timeout)
{ (void)h; (void)request_type; (void)bRequest; (void)wValue; (void)wIndex; (void)data; (void)wLength; (void)timeout;
  NOT_SUPPORTED(libusb_control_transfer); }
API int libusb_interrupt_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data, int length,
				  int *actual_length, unsigned int timeout)
{ (void)h; (void)endpoint; (void)data; (void)length; (void)actual_length; (void)timeout; NOT_SUPPORTED(libusb_interrupt_transfer); }
API int libusb_try_lock_events(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED(libusb_try_lock_events); }
API void libusb_lock_events(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_VOID(libusb_lock_events); }
API void libusb_unlock_events(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_VOID(libusb_unlock_events); }
API int libusb_event_handling_ok(libusb_context *ctx)
{ (void)ctx; unsupported("libusb_event_handling_ok"); return 0; }
API int libusb_event_handler_active(libusb_context *ctx)
{ (void)ctx; unsupported("libusb_event_handler_active"); return 0; }
API void libusb_interrupt_event_handler(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_VOID(libusb_interrupt_event_handler); }
API void libusb_lock_event_waiters(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_VOID(libusb_lock_event_waiters); }
API void libusb_unlock_event_waiters(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_VOID(libusb_unlock_event_waiters); }
API int libusb_wait_for_event(libusb_context *ctx, struct timeval *tv)
{ (void)ctx; (void)tv; NOT_SUPPORTED(libusb_wait_for_event); }
API int libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)
{ (void)ctx; (void)tv; NOT_SUPPORTED(libusb_handle_events_timeout); }
API int libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv, int *completed)
{ (void)ctx; (void)tv; (void)completed; NOT_SUPPORTED(libusb_handle_events_timeout_completed); }
API int libusb_handle_events(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED(libusb_handle_events); }
API int libusb_handle_events_completed(libusb_context *ctx, int *completed)
{ (void)ctx; (void)completed; NOT_SUPPORTED(libusb_handle_events_completed); }
API int libusb_handle_events_locked(libusb_context *ctx, struct timeval *tv)
{ (void)ctx; (void)tv; NOT_SUPPORTED(libusb_handle_events_locked); }
API int libusb_pollfds_handle_timeouts(libusb_context *ctx)
{ (void)ctx; unsupported("libusb_pollfds_handle_timeouts"); return 0; }
API int libusb_get_next_timeout(libusb_context *ctx, struct timeval *tv)
{ (void)ctx; (void)tv; NOT_SUPPORTED(libusb_get_next_timeout); }
API const struct libusb_pollfd **libusb_get_pollfds(libusb_context *ctx)
{ (void)ctx; NOT_SUPPORTED_NULL(libusb_get_pollfds); }
API void libusb_free_pollfds(const struct libusb_pollfd **pollfds)
{ if (pollfds != NULL) NOT_SUPPORTED_VOID(libusb_free_pollfds); }
API void libusb_set_pollfd_notifiers(libusb_context *ctx, libusb_pollfd_added_cb added_cb, libusb_pollfd_removed_cb removed_cb,
				     void *user_data)
{ (void)ctx; (void)added_cb; (void)removed_cb; (void)user_data; NOT_SUPPORTED_VOID(libusb_set_pollfd_notifiers); }
API int libusb_hotplug_register_callback(libusb_context *ctx, int events, int flags, int vendor_id, int product_id, int dev_class,
					 libusb_hotplug_callback_fn cb_fn, void *user_data,
					 libusb_hotplug_callback_handle *callback_handle)
{ (void)ctx; (void)events; (void)flags; (void)vendor_id; (void)product_id; (void)dev_class; (void)cb_fn; (void)user_data;
  (void)callback_handle; NOT_SUPPORTED(libusb_hotplug_register_callback); }
API void libusb_hotplug_deregister_callback(libusb_context *ctx, libusb_hotplug_callback_handle callback_handle)
{ (void)ctx; (void)callback_handle; NOT_SUPPORTED_VOID(libusb_hotplug_deregister_callback); }
API void *libusb_hotplug_get_user_data(libusb_context *ctx, libusb_hotplug_callback_handle callback_handle)
{ (void)ctx; (void)callback_handle; NOT_SUPPORTED_NULL(libusb_hotplug_get_user_data); }
