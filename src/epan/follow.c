/* Follow Stream for the plugin's protocol ("ws"): `tshark -z follow,ws,ascii,0` and the GUI's
 * Follow dialog show a WebSocket connection as its messages, one block per message (built in
 * Rust, src/epan/follow.rs), in the order they were sent.
 *
 * A follower is a tap plus filter builders. The tap "ws_follow" carries one wsk_follow_rec per
 * message; the listener below turns each into a follow_record_t. Streams are TCP streams
 * (`tcp.stream`), as for Wireshark's own WebSocket follower; TCP's own filter builders are not
 * exported from libwireshark, so ours are here. */
#include <string.h>
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/follow.h>
#include <epan/conversation.h>
#include <epan/to_str.h>
#include <epan/wmem_scopes.h>
#include <epan/dissectors/packet-tcp.h>

#define WSK_WS_AT_LEAST(ma, mi) \
    (WIRESHARK_VERSION_MAJOR > (ma) || (WIRESHARK_VERSION_MAJOR == (ma) && WIRESHARK_VERSION_MINOR >= (mi)))

typedef struct {
    int from_client; /* 1: the client sent it, 0: the server */
    const guint8 *data;
    guint len;
} wsk_follow_rec;

static int wsk_follow_tap = -1;
/* Wireshark's own WebSocket follower (4.4+): its tap, fed with what it would have shown. */
static int wsk_builtin_tap = -2; /* -2: not looked up yet, -1: absent (before 4.4) */

/* The TCP stream of the packet's conversation, or -1. */
static gint64 wsk_tcp_stream_of(packet_info *pinfo)
{
    if (pinfo->ptype != PT_TCP)
        return -1;
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (!conv)
        return -1;
    struct tcp_analysis *tcpd = get_tcp_conversation_data(conv, pinfo);
    return tcpd ? (gint64)tcpd->stream : -1;
}

static gchar *wsk_follow_conv_filter(epan_dissect_t *edt _U_, packet_info *pinfo, guint *stream,
                                     guint *sub_stream _U_)
{
    gint64 s = wsk_tcp_stream_of(pinfo);
    if (s < 0)
        return NULL;
    *stream = (guint)s;
    return g_strdup_printf("tcp.stream eq %u", (guint)s);
}

static gchar *wsk_follow_index_filter(guint stream, guint sub_stream _U_)
{
    return g_strdup_printf("tcp.stream eq %u", stream);
}

static const char *wsk_ip_proto(const address *a)
{
    return a->type == AT_IPv6 ? "ipv6" : "ip";
}

static gchar *wsk_follow_address_filter(address *src, address *dst, int src_port, int dst_port)
{
    if ((src->type != AT_IPv4 && src->type != AT_IPv6) || src->type != dst->type)
        return NULL;
    gchar *s = address_to_str(NULL, src), *d = address_to_str(NULL, dst);
    const char *p = wsk_ip_proto(src);
    gchar *f = g_strdup_printf("((%s.src eq %s and tcp.srcport eq %d and %s.dst eq %s and tcp.dstport eq %d) or "
                               "(%s.src eq %s and tcp.srcport eq %d and %s.dst eq %s and tcp.dstport eq %d))",
                               p, s, src_port, p, d, dst_port, p, d, dst_port, p, s, src_port);
    wmem_free(NULL, s);
    wmem_free(NULL, d);
    return f;
}

static gchar *wsk_follow_port_to_display(wmem_allocator_t *allocator, guint port)
{
    return wmem_strdup_printf(allocator, "%u", port);
}

static tap_packet_status wsk_follow_listener(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                             const void *data, tap_flags_t flags _U_)
{
    follow_info_t *info = (follow_info_t *)tapdata;
    const wsk_follow_rec *rec = (const wsk_follow_rec *)data;
    if (!info || !rec)
        return TAP_PACKET_DONT_REDRAW;
    /* Node 0 is the client (the plugin knows it from the handshake, or from masking). */
    if (info->client_port == 0) {
        if (rec->from_client) {
            copy_address(&info->client_ip, &pinfo->src);
            info->client_port = pinfo->srcport;
            copy_address(&info->server_ip, &pinfo->dst);
            info->server_port = pinfo->destport;
        } else {
            copy_address(&info->client_ip, &pinfo->dst);
            info->client_port = pinfo->destport;
            copy_address(&info->server_ip, &pinfo->src);
            info->server_port = pinfo->srcport;
        }
    }
    follow_record_t *r = g_new0(follow_record_t, 1);
    r->is_server = !rec->from_client;
    r->packet_num = pinfo->num;
    r->abs_ts = pinfo->abs_ts;
    r->data = g_byte_array_sized_new(rec->len);
    g_byte_array_append(r->data, rec->data, rec->len);
    info->bytes_written[r->is_server ? 1 : 0] += rec->len;
    info->payload = g_list_prepend(info->payload, r);
    return TAP_PACKET_DONT_REDRAW;
}

/* At registration, with the plugin's protocol id. */
void wsk_follow_register(int proto)
{
    wsk_follow_tap = register_tap("ws_follow");
#if WSK_WS_AT_LEAST(4, 4)
    register_follow_stream(proto, "ws_follow", wsk_follow_conv_filter, wsk_follow_index_filter,
                           wsk_follow_address_filter, wsk_follow_port_to_display, wsk_follow_listener,
                           get_tcp_stream_count, NULL);
#else
    register_follow_stream(proto, "ws_follow", wsk_follow_conv_filter, wsk_follow_index_filter,
                           wsk_follow_address_filter, wsk_follow_port_to_display, wsk_follow_listener);
#endif
}

/* Who follows: 1 = the `ws` follower (a Follow dialog or `-z follow,ws,...`), 2 = Wireshark's own
 * "websocket" follower (4.4+), which no longer sees the connections the plugin took over. */
int wsk_follow_wanted(void)
{
    int who = 0;
    if (wsk_follow_tap >= 0 && have_tap_listener(wsk_follow_tap))
        who |= 1;
    if (wsk_builtin_tap == -2)
        wsk_builtin_tap = find_tap_id("websocket_follow");
    if (wsk_builtin_tap >= 0 && have_tap_listener(wsk_builtin_tap))
        who |= 2;
    return who;
}

/* Queue one message block for the follower; the bytes are copied into the packet's pool. */
void wsk_follow_queue(packet_info *pinfo, int from_client, const guint8 *data, guint len)
{
    if (!wsk_follow_wanted())
        return;
    wsk_follow_rec *rec = wmem_new0(pinfo->pool, wsk_follow_rec);
    rec->from_client = from_client;
    rec->data = len ? (const guint8 *)wmem_memdup(pinfo->pool, data, len) : (const guint8 *)"";
    rec->len = len;
    tap_queue_packet(wsk_follow_tap, pinfo, rec);
}

/* Wireshark's own WebSocket follower reads a tvb per data message (unmasked, reassembled,
 * inflated, as its dissector would have tapped it); `parent` is the frame's tvb, which outlives the
 * tap queue of this packet. */
void wsk_follow_builtin_queue(tvbuff_t *parent, packet_info *pinfo, const guint8 *data, guint len)
{
    if (wsk_builtin_tap < 0 || !have_tap_listener(wsk_builtin_tap) || !parent)
        return;
    /* Never NULL: a tvb without data cannot be read, not even for 0 bytes. */
    guint8 *copy = len ? (guint8 *)wmem_memdup(pinfo->pool, data, len) : (guint8 *)wmem_alloc0(pinfo->pool, 1);
    tvbuff_t *tvb = tvb_new_child_real_data(parent, copy, len, (gint)len);
    tap_queue_packet(wsk_builtin_tap, pinfo, tvb);
}
