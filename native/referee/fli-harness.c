/*
 * Drives a focuser through FLI's own SDK (libfli2), one operation per line, for the referee tests.
 *
 *   fli-harness [op ...]     runs the ops given, or reads them from stdin, one per line
 *
 * Each op prints one JSON line and is flushed at once, so a test can drive it step by step:
 *   {"op":"position","ok":true,"value":1000}
 *   {"op":"move","ok":false,"error":-19,"message":"No such device"}
 *
 * ops: version | list | open [name] | close | model | serial | fw | hw | extent | position |
 *      remaining | status | move <steps> | move-async <steps> | home | home-device |
 *      temp <channel> | sleep <ms> | wait-idle <ms>
 * libfli returns -errno on failure; "error" is that value and "message" its strerror.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libfli.h>

#define DOMAIN (FLIDOMAIN_USB | FLIDEVICE_FOCUSER)

static flidev_t dev = FLI_INVALID_DEVICE;

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void fail(const char *op, long r)
{
	printf("{\"op\":\"%s\",\"ok\":false,\"error\":%ld,\"message\":", op, r);
	json_string(strerror((int)-r));
	puts("}");
}

static void ok_long(const char *op, long v)
{
	printf("{\"op\":\"%s\",\"ok\":true,\"value\":%ld}\n", op, v);
}

static void ok_string(const char *op, const char *v)
{
	printf("{\"op\":\"%s\",\"ok\":true,\"value\":", op);
	json_string(v);
	puts("}");
}

static void ok_empty(const char *op)
{
	printf("{\"op\":\"%s\",\"ok\":true}\n", op);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Opens the first focuser FLIList finds (the upstream daemon does the same), or the one named. */
static void do_open(const char *name)
{
	char first[256] = "";
	if (name == NULL) {
		char **names = NULL;
		long r = FLIList(DOMAIN, &names);
		if (r != 0)
			return fail("open", r);
		if (names == NULL || names[0] == NULL) {
			if (names != NULL)
				FLIFreeList(names);
			return fail("open", -ENODEV);
		}
		snprintf(first, sizeof first, "%s", names[0]);
		FLIFreeList(names);
		char *semicolon = strchr(first, ';'); /* "FLI-0102;model" */
		if (semicolon != NULL)
			*semicolon = '\0';
		name = first;
	}
	long r = FLIOpen(&dev, (char *)name, DOMAIN);
	if (r != 0) {
		dev = FLI_INVALID_DEVICE;
		return fail("open", r);
	}
	ok_string("open", name);
}

static void do_list(void)
{
	char **names = NULL;
	long r = FLIList(DOMAIN, &names);
	if (r != 0)
		return fail("list", r);
	printf("{\"op\":\"list\",\"ok\":true,\"value\":[");
	for (int i = 0; names != NULL && names[i] != NULL; i++) {
		if (i > 0)
			putchar(',');
		json_string(names[i]);
	}
	puts("]}");
	if (names != NULL)
		FLIFreeList(names);
}

static void run(char *line)
{
	char *op = strtok(line, " \t\r\n");
	char *arg = strtok(NULL, " \t\r\n");
	long v = 0, r;
	char text[256];
	if (op == NULL)
		return;
	if (strcmp(op, "version") == 0) {
		r = FLIGetLibVersion(text, sizeof text);
		return r != 0 ? fail(op, r) : ok_string(op, text);
	}
	if (strcmp(op, "list") == 0)
		return do_list();
	if (strcmp(op, "open") == 0)
		return do_open(arg);
	if (strcmp(op, "sleep") == 0) {
		sleep_ms(arg ? atol(arg) : 0);
		return ok_empty(op);
	}
	if (strcmp(op, "close") == 0) {
		r = FLIClose(dev);
		dev = FLI_INVALID_DEVICE;
		return r != 0 ? fail(op, r) : ok_empty(op);
	}
	if (strcmp(op, "model") == 0) {
		r = FLIGetModel(dev, text, sizeof text);
		return r != 0 ? fail(op, r) : ok_string(op, text);
	}
	if (strcmp(op, "serial") == 0) {
		r = FLIGetSerialString(dev, text, sizeof text);
		return r != 0 ? fail(op, r) : ok_string(op, text);
	}
	if (strcmp(op, "fw") == 0) {
		r = FLIGetFWRevision(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "hw") == 0) {
		r = FLIGetHWRevision(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "extent") == 0) {
		r = FLIGetFocuserExtent(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "position") == 0) {
		r = FLIGetStepperPosition(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "remaining") == 0) {
		r = FLIGetStepsRemaining(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "status") == 0) {
		r = FLIGetDeviceStatus(dev, &v);
		return r != 0 ? fail(op, r) : ok_long(op, v);
	}
	if (strcmp(op, "move") == 0) {
		r = FLIStepMotor(dev, arg ? atol(arg) : 0);
		return r != 0 ? fail(op, r) : ok_empty(op);
	}
	if (strcmp(op, "move-async") == 0) {
		r = FLIStepMotorAsync(dev, arg ? atol(arg) : 0);
		return r != 0 ? fail(op, r) : ok_empty(op);
	}
	if (strcmp(op, "home") == 0) {
		r = FLIHomeFocuser(dev);
		return r != 0 ? fail(op, r) : ok_empty(op);
	}
	if (strcmp(op, "home-device") == 0) {
		r = FLIHomeDevice(dev);
		return r != 0 ? fail(op, r) : ok_empty(op);
	}
	if (strcmp(op, "temp") == 0) {
		double t = 0;
		r = FLIReadTemperature(dev, arg ? atol(arg) : 0, &t);
		if (r != 0)
			return fail(op, r);
		printf("{\"op\":\"temp\",\"ok\":true,\"value\":%.6f}\n", t);
		return;
	}
	if (strcmp(op, "wait-idle") == 0) {
		/* Polls the status as the upstream daemon does until no motion bit is set. */
		long limit = arg ? atol(arg) : 30000, waited = 0;
		for (;;) {
			r = FLIGetDeviceStatus(dev, &v);
			if (r != 0)
				return fail(op, r);
			if ((v & FLI_FOCUSER_STATUS_MOVING_MASK) == 0)
				return ok_long(op, v);
			if (waited >= limit)
				return fail(op, -ETIMEDOUT);
			sleep_ms(50);
			waited += 50;
		}
	}
	printf("{\"op\":");
	json_string(op);
	puts(",\"ok\":false,\"error\":-22,\"message\":\"unknown op\"}");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			char line[512];
			snprintf(line, sizeof line, "%s", argv[i]);
			run(line);
		}
	} else {
		char line[512];
		while (fgets(line, sizeof line, stdin) != NULL)
			run(line);
	}
	if (dev != FLI_INVALID_DEVICE)
		FLIClose(dev);
	return 0;
}
