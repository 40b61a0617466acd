/* The "ws" tap: records are allocated in the packet's pool and queued for tap listeners. */
#include <string.h>
#include <epan/tap.h>
#include <epan/wmem_scopes.h>
#include "tap.h"

static int wsk_tap = -1;

void wsk_tap_register(void)
{
    wsk_tap = register_tap("ws");
}

int wsk_tap_listening(void)
{
    return wsk_tap >= 0 && have_tap_listener(wsk_tap);
}

int wsk_tap_id(void)
{
    return wsk_tap;
}

/* Is anyone listening? Lets the caller skip building a record's strings. */
int wsk_tap_active(void)
{
    return wsk_tap >= 0 && have_tap_listener(wsk_tap);
}

void wsk_tap_queue(packet_info *pinfo, guint32 conv, const char *client, const char *server, int kind,
                   int from_client, int opcode, guint64 len, double rtt, int close_code, int abnormal,
                   const char *text, const char *app, const char *what, int late)
{
    if (wsk_tap < 0 || !have_tap_listener(wsk_tap))
        return;
    wsk_tap_info *t = wmem_new0(pinfo->pool, wsk_tap_info);
    t->conv = conv;
    t->client = wmem_strdup(pinfo->pool, client ? client : "?");
    t->server = wmem_strdup(pinfo->pool, server ? server : "?");
    t->kind = kind;
    t->from_client = from_client;
    t->opcode = opcode;
    t->len = len;
    t->time = (double)pinfo->abs_ts.secs + (double)pinfo->abs_ts.nsecs / 1e9;
    t->rtt = rtt;
    t->close_code = close_code;
    t->abnormal = abnormal;
    t->text = text ? wmem_strdup(pinfo->pool, text) : NULL;
    t->app = app ? wmem_strdup(pinfo->pool, app) : NULL;
    t->what = what ? wmem_strdup(pinfo->pool, what) : NULL;
    t->late = late;
    tap_queue_packet(wsk_tap, pinfo, t);
}
