/* The "ws" tap: one record per WebSocket/keep-alive event, for statistics (-z ws,tree). */
#ifndef WSK_TAP_H
#define WSK_TAP_H
#include <wireshark.h>
#include <epan/packet.h>

enum wsk_tap_kind {
    WSK_TAP_MESSAGE = 1, /* a message completed (text, binary, or a control frame) */
    WSK_TAP_PING = 2,
    WSK_TAP_PONG = 3,    /* rtt >= 0 when it answers a ping; unsolicited otherwise */
    WSK_TAP_PROBE = 4,   /* TCP keep-alive probe */
    WSK_TAP_ACK = 5,     /* its ACK (rtt >= 0) */
    WSK_TAP_CLOSE = 6,   /* a Close frame (close_code, dir) */
    WSK_TAP_END = 7,     /* the first TCP FIN/RST of a WebSocket connection (text, abnormal) */
    WSK_TAP_APP = 8,     /* one unit of an application protocol's message (app, what) */
    WSK_TAP_HEARTBEAT = 9, /* a one-way application heartbeat (STOMP EOL, SignalR Ping, ka) */
};

typedef struct wsk_tap_info {
    guint32 conv;         /* Wireshark's conversation index */
    const char *client;   /* "address:port" of the client ("?" when unknown) */
    const char *server;   /* "address:port" of the server */
    int kind;             /* enum wsk_tap_kind */
    int from_client;      /* 1: sent by the client, 0: by the server, -1: unknown */
    int opcode;           /* message type (opcode of the first frame) */
    guint64 len;          /* application length of the message (inflated) */
    double time;          /* absolute time of the packet, seconds */
    double rtt;           /* seconds; < 0 when unknown */
    int close_code;       /* -1 when none */
    int abnormal;         /* END: no complete Close handshake */
    const char *text;     /* END: how the connection ended; else NULL */
    const char *app;      /* APP, and PING/PONG of an application heartbeat: the protocol
                             ("STOMP", "Socket.IO", ...; keep-alive's name for heartbeats) */
    const char *what;     /* APP: the command/event ("SEND", "EVENT \"chat message\"") */
    int late;             /* PING: later than the protocol or the ping cadence allows */
} wsk_tap_info;

int wsk_tap_id(void);
int wsk_tap_active(void);
#endif
