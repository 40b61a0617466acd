/* Handing a WebSocket message to the dissector Wireshark has for it: by negotiated subprotocol
 * (the built-in "ws.protocol" table, e.g. MQTT), by server port ("ws.port", Decode As), or to the
 * JSON dissector for text that looks like JSON (preference ws.json, on by default). The calls are
 * wrapped in TRY so an exception in that dissector stays in its subtree. */
#include <string.h>
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/exceptions.h>
#include <epan/show_exception.h>

#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
typedef bool wsk_pref_bool;
#else
typedef gboolean wsk_pref_bool;
#endif

static wsk_pref_bool wsk_pref_json = TRUE;
static dissector_table_t wsk_protocol_table;
static dissector_table_t wsk_port_table;
static dissector_handle_t wsk_json_handle;

void wsk_dispatch_register_prefs(module_t *module)
{
    prefs_register_bool_preference(module, "json", "Show JSON text messages as JSON",
                                   "Text messages that look like JSON are also dissected by Wireshark's JSON dissector "
                                   "(ws.msg.text stays filled)",
                                   &wsk_pref_json);
}

void wsk_dispatch_init(void)
{
    wsk_protocol_table = find_dissector_table("ws.protocol");
    wsk_port_table = find_dissector_table("ws.port");
    wsk_json_handle = find_dissector("json");
}

static int looks_like_json(tvbuff_t *tvb)
{
    guint len = tvb_captured_length(tvb);
    for (guint i = 0; i < len && i < 64; i++) {
        guint8 c = tvb_get_guint8(tvb, i);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' || c == '[';
    }
    return 0;
}

/* Returns 1 when a dissector took the message. */
int wsk_dispatch_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const char *subprotocol,
                         guint32 server_port, int is_text)
{
    dissector_handle_t handle = NULL;
    if (!tvb || tvb_captured_length(tvb) == 0)
        return 0;
    if (wsk_protocol_table && subprotocol && *subprotocol)
        handle = dissector_get_string_handle(wsk_protocol_table, subprotocol);
    /* Subprotocols whose dissector this Wireshark does not register in ws.protocol (4.0 has no
     * entry for MQTT): the IANA names map onto the dissector's own name. */
    if (!handle && subprotocol && (!g_ascii_strcasecmp(subprotocol, "mqtt") || !g_ascii_strcasecmp(subprotocol, "mqttv3.1")))
        handle = find_dissector("mqtt");
    if (!handle && wsk_port_table && server_port)
        handle = dissector_get_uint_handle(wsk_port_table, server_port);
    if (!handle && is_text && wsk_pref_json && wsk_json_handle && looks_like_json(tvb))
        handle = wsk_json_handle;
    if (!handle)
        return 0;
    /* Keep the frames' own Info entries; the payload dissector appends after them. */
    col_set_fence(pinfo->cinfo, COL_INFO);
    volatile int took = 1;
    TRY {
        call_dissector_only(handle, tvb, pinfo, tree, NULL);
    }
    CATCH_NONFATAL_ERRORS {
        show_exception(tvb, pinfo, tree, EXCEPT_CODE, GET_MESSAGE);
    }
    ENDTRY;
    return took;
}
