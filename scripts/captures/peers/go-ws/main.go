// Go gorilla/websocket peer for the recall captures: `server ADDR` or `client URL`.
// WriteBufferSize 1024 makes gorilla send every message larger than about 1 kB as a
// fragmented message (a Text or Binary frame, then Continuation frames). The client sends
// texts of several sizes, a 20,000-byte binary message, a ping and 30 small texts, then a
// Close 1000; the server echoes every data message and answers the Close.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

var up = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

func server(addr string) {
	done := make(chan struct{})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		for {
			t, m, err := c.ReadMessage()
			if err != nil {
				break
			}
			c.WriteMessage(t, m)
		}
		c.Close()
		close(done)
	})
	go http.ListenAndServe(addr, nil)
	<-done
	time.Sleep(200 * time.Millisecond)
}

func client(url string) {
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	c, _, err := d.Dial(url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	expect := 0
	for i, n := range []int{5, 120, 126, 1000, 3000} {
		c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("%d:%s", i, strings.Repeat("x", n))))
		expect++
	}
	bin := make([]byte, 20000)
	for i := range bin {
		bin[i] = byte(i * 7 % 251)
	}
	c.WriteMessage(websocket.BinaryMessage, bin)
	expect++
	c.WriteControl(websocket.PingMessage, []byte("go-ping"), time.Now().Add(time.Second))
	for i := 0; i < 30; i++ {
		c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("small %d", i)))
		expect++
	}
	for got := 0; got < expect; got++ {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "done"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	c.Close()
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "server" {
		server(os.Args[2])
	} else if len(os.Args) == 3 && os.Args[1] == "client" {
		client(os.Args[2])
	} else {
		fmt.Fprintln(os.Stderr, "usage: go-ws server ADDR | client URL")
		os.Exit(2)
	}
}
