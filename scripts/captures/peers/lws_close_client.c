/*
 * A libwebsockets client for the m_close_then_fin_lws capture
 * (scripts/captures/make-captures-more.sh): it ends the connection the way
 * libwebsockets clients do.
 *
 *   cc -o lws_close_client lws_close_client.c $(pkg-config --cflags --libs libwebsockets)
 *   lws_close_client HOST PORT LOG
 *
 * Sends two text messages (waiting for each echo), then closes with
 * lws_close_reason(1000, "bye") and returning -1 from the WRITEABLE callback:
 * libwebsockets sends the Close frame and closes the socket at once, without
 * waiting for the server's Close (its TCP FIN follows the Close; the server's
 * answer then meets a closed socket, and the client's kernel answers it with
 * a RST).
 *
 * LOG gets one line per frame the application sent: "text<TAB>msg" or
 * "close<TAB>code<TAB>reason" (close_fin_peers.py lws-truth turns them into
 * truth lines).  Exit status 0 once LWS_CALLBACK_CLIENT_CLOSED was seen.
 */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const messages[] = {"first message", "{\"op\":\"last\",\"id\":2}"};
#define NMSG 2

static FILE *logf;
static int sent, echoed, closing, done, closed_ok;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	unsigned char buf[LWS_PRE + 128];
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (echoed == NMSG) {
			/* libwebsockets may call WRITEABLE again while it closes */
			if (!closing) {
				closing = 1;
				lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
						 (unsigned char *)"bye", 3);
				fprintf(logf, "close\t1000\tbye\n");
				fflush(logf);
			}
			return -1;
		}
		if (sent == echoed && sent < NMSG) {
			size_t n = strlen(messages[sent]);
			memcpy(buf + LWS_PRE, messages[sent], n);
			if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
				return -1;
			fprintf(logf, "text\t%s\n", messages[sent]);
			fflush(logf);
			sent++;
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (echoed < sent && len == strlen(messages[echoed]) &&
		    !memcmp(in, messages[echoed], len))
			echoed++;
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "lws client: connection error: %s\n", in ? (char *)in : "");
		done = 1;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		fprintf(stderr, "lws client: closed after %d echoes\n", echoed);
		closed_ok = echoed == NMSG;
		done = 1;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{"close-then-fin", callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *ctx;
	int i;

	if (argc != 4) {
		fprintf(stderr, "usage: %s HOST PORT LOG\n", argv[0]);
		return 2;
	}
	logf = fopen(argv[3], "w");
	if (!logf)
		return 2;
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	if (!ctx)
		return 1;
	memset(&ci, 0, sizeof ci);
	ci.context = ctx;
	ci.address = argv[1];
	ci.port = atoi(argv[2]);
	ci.path = "/close-then-fin-lws";
	ci.host = argv[1];
	ci.origin = argv[1];
	if (!lws_client_connect_via_info(&ci))
		return 1;
	for (i = 0; !done && i < 10000; i++)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);
	fclose(logf);
	return closed_ok ? 0 : 1;
}
