// Command todoserver runs internal/todoserver on a free loopback port for
// the JavaScript tests: it prints "listening http://127.0.0.1:PORT" on its
// first line of output and serves until its standard input closes (the
// test process that started it ended) or it gets SIGINT or SIGTERM.
//
//	todoserver [-static dir]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tandemkit/tandem/internal/todoserver"
)

func main() {
	static := flag.String("static", "", "a folder of static files served next to /api")
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on")
	flag.Parse()
	s, err := todoserver.New(*static)
	if err != nil {
		fmt.Fprintln(os.Stderr, "todoserver:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "todoserver:", err)
		os.Exit(1)
	}
	hs := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Printf("listening http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // returns when the parent goes away
		stop()
	}()
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Close(shut)
	_ = hs.Shutdown(shut)
}
