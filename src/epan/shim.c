/* Small C helpers for the Rust glue: things bindgen cannot bind (macros, static inline functions)
 * and exception guards, so that a Wireshark exception (a longjmp) never crosses a Rust frame. */
#include <string.h>
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/exceptions.h>
#include <epan/show_exception.h>
#include <epan/ftypes/ftypes.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>

void wsk_log_warning(const char *msg)
{
    ws_log("ws-keepalive", LOG_LEVEL_WARNING, "%s", msg);
}

void wsk_item_set_generated(proto_item *item)
{
    if (item)
        proto_item_set_generated(item);
}

void wsk_item_set_hidden(proto_item *item)
{
    if (item)
        proto_item_set_hidden(item);
}

/* Call another dissector; any non-fatal exception it throws is shown in the tree and stops here. */
int wsk_call_dissector_guarded(dissector_handle_t handle, tvbuff_t *tvb, packet_info *pinfo,
                               proto_tree *tree, void *data)
{
    volatile int ret = 0;
    TRY {
        ret = call_dissector_only(handle, tvb, pinfo, tree, data);
    }
    CATCH_NONFATAL_ERRORS {
        show_exception(tvb, pinfo, tree, EXCEPT_CODE, GET_MESSAGE);
        ret = (int)tvb_captured_length(tvb);
    }
    ENDTRY;
    return ret;
}

int wsk_set_wanted_hfids(dissector_handle_t handle, const int *ids, int n)
{
    GArray *wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] > 0) {
            g_array_append_val(wanted, ids[i]);
            kept++;
        }
    }
    set_postdissector_wanted_hfids(handle, wanted);
    return kept;
}

/* Copy the value of the first FT_STRING field `hfid` found in the packet's tree into `out`
 * (NUL-terminated, truncated to out_len-1). Returns the full value length, or 0 if absent. */
size_t wsk_tree_string_field(proto_tree *tree, int hfid, char *out, size_t out_len)
{
    if (!tree || hfid <= 0 || !out || out_len == 0)
        return 0;
    GPtrArray *items = proto_get_finfo_ptr_array(tree, hfid);
    if (!items || items->len == 0)
        return 0;
    field_info *fi = (field_info *)g_ptr_array_index(items, 0);
    if (!fi)
        return 0;
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
    const char *s = fvalue_get_string(fi->value);
#else
    const char *s = fvalue_get_string(&fi->value);
#endif
    if (!s)
        return 0;
    size_t n = strlen(s);
    size_t c = n < out_len - 1 ? n : out_len - 1;
    memcpy(out, s, c);
    out[c] = '\0';
    return n == 0 ? 0 : n;
}

/* ---- Dissector entry points -------------------------------------------------------------------
 * They live in C so that a Wireshark exception thrown by tcp_dissect_pdus or by HTTP (a longjmp to
 * TCP's TRY) only ever crosses C frames. The Rust callbacks they call never call a throwing
 * function with unchecked arguments. */
extern int wsk_rs_prepare(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int have_seq, guint32 seq);
extern guint wsk_rs_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data);
extern int wsk_rs_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);
extern int wsk_rs_heur_check(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree);

static dissector_handle_t wsk_ws_handle;
static dissector_handle_t wsk_http_handle;

void wsk_set_handles(dissector_handle_t ws, dissector_handle_t http)
{
    wsk_ws_handle = ws;
    wsk_http_handle = http;
}

/* TCP's per-segment information (sequence number of the tvb's first byte), when TCP itself called
 * us: then `data` is a struct tcpinfo. Called by HTTP (bytes after a 101) or by anything else,
 * `data` is something else and NULL is returned. */
static struct tcpinfo *wsk_tcpinfo(packet_info *pinfo, void *data)
{
    static int proto_tcp = -1;
    if (!data || !pinfo->layers || !wsk_ws_handle)
        return NULL;
    if (proto_tcp < 0)
        proto_tcp = proto_get_id_by_filter_name("tcp");
    int self = dissector_handle_get_protocol_index(wsk_ws_handle);
    wmem_list_frame_t *f = wmem_list_tail(pinfo->layers);
    /* Our own layer (the dissector or the heuristic) is the last one. */
    while (f && GPOINTER_TO_INT(wmem_list_frame_data(f)) == self)
        f = wmem_list_frame_prev(f);
    if (!f || proto_tcp < 0 || GPOINTER_TO_INT(wmem_list_frame_data(f)) != proto_tcp)
        return NULL;
    return (struct tcpinfo *)data;
}

guint32 wsk_tcpinfo_seq(const void *tcpinfo)
{
    return ((const struct tcpinfo *)tcpinfo)->seq;
}

int wsk_dissect_ws(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    struct tcpinfo *ti = wsk_tcpinfo(pinfo, data);
    /* 1: the bytes are the HTTP handshake (Decode As, or a connection the heuristic claimed). */
    int what = wsk_rs_prepare(tvb, pinfo, tree, ti != NULL, ti ? ti->seq : 0);
    if (what == 1 && wsk_http_handle) {
        /* Each dissector layer lowers can_desegment; give HTTP what TCP gave us, so that it can
         * reassemble headers and bodies that span segments (as TLS does for its payload). */
        pinfo->can_desegment = pinfo->saved_can_desegment;
        return call_dissector_only(wsk_http_handle, tvb, pinfo, tree, data);
    }
    /* 2: a one-byte TCP keep-alive probe; its byte is consumed, not parsed (see the keepalive tree). */
    if (what == 2)
        return (int)tvb_captured_length(tvb);
    /* The callbacks get TCP's tcpinfo (or NULL) to place each frame in the byte stream. */
    tcp_dissect_pdus(tvb, pinfo, tree, TRUE, 2, wsk_rs_pdu_len, wsk_rs_pdu, ti);
    return (int)tvb_captured_length(tvb);
}

#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
#define WSK_HEUR_RET bool
#else
#define WSK_HEUR_RET gboolean
#endif

WSK_HEUR_RET wsk_heur_ws_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!wsk_ws_handle || !wsk_rs_heur_check(tvb, pinfo, tree))
        return FALSE;
    /* From this frame on: earlier segments (seen before a mid-stream decision) stay TCP's. */
    conversation_set_dissector_from_frame_number(find_or_create_conversation(pinfo), pinfo->num, wsk_ws_handle);
    wsk_dissect_ws(tvb, pinfo, tree, data);
    return TRUE;
}

/* Create the dissector handle (named "ws" when `named`), remember HTTP's, and add the heuristic. */
dissector_handle_t wsk_make_ws_handle(int proto, int named)
{
    return named ? register_dissector("ws", wsk_dissect_ws, proto)
                 : create_dissector_handle(wsk_dissect_ws, proto);
}

void wsk_add_heuristic(const char *internal_name, int proto)
{
    heur_dissector_add("tcp", wsk_heur_ws_tcp, "WebSocket over TCP (ws-keepalive)", internal_name, proto,
                       HEURISTIC_ENABLE);
}

/* The value of the last FT_UINT* field `hfid` in the packet's tree (the innermost layer). */
int wsk_tree_uint_field(proto_tree *tree, int hfid, guint32 *out)
{
    if (!tree || hfid <= 0 || !out)
        return 0;
    GPtrArray *items = proto_get_finfo_ptr_array(tree, hfid);
    if (!items || items->len == 0)
        return 0;
    field_info *fi = (field_info *)g_ptr_array_index(items, items->len - 1);
    if (!fi)
        return 0;
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
    *out = fvalue_get_uinteger(fi->value);
#else
    *out = fvalue_get_uinteger(&fi->value);
#endif
    return 1;
}

int wsk_heur_name_taken(const char *internal_name)
{
    return find_heur_dissector_by_unique_short_name(internal_name) != NULL;
}
