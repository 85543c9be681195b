// tests/integration/nomfln_front.go — a TLS 1.2 front for a plain Mosquitto listener, built on
// Go's crypto/tls, which does not implement the max_fragment_length extension (RFC 6066): it
// ignores the device's MFLN request and, with dynamic record sizing off, sends records of up to
// 16 KB. It stands for a broker that ignores MFLN. With -require-sni it also stands for an
// SNI-only endpoint (a shared front that picks the site by the name the client sends): a
// ClientHello without server_name is refused with a fatal alert. Bounded: exits after -lifetime.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TLS address to listen on (loopback)")
	upstream := flag.String("upstream", "", "plain MQTT address to relay to (loopback)")
	certFile := flag.String("cert", "", "server certificate (PEM)")
	keyFile := flag.String("key", "", "server key (PEM)")
	lifetime := flag.Duration("lifetime", 120*time.Second, "exit after this long")
	requireSNI := flag.Bool("require-sni", false, "refuse a ClientHello that names no server (server_name)")
	flag.Parse()
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("nomfln_front: %s / %s: %v", *certFile, *keyFile, err)
	}
	cfg := &tls.Config{
		Certificates:                []tls.Certificate{cert},
		MinVersion:                  tls.VersionTLS12,
		MaxVersion:                  tls.VersionTLS12,
		DynamicRecordSizingDisabled: true,
	}
	if *requireSNI {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if hello.ServerName == "" {
				return nil, errors.New("no server_name in the ClientHello: this endpoint serves by name only")
			}
			return nil, nil
		}
	}
	ln, err := tls.Listen("tcp", *listen, cfg)
	if err != nil {
		log.Fatalf("nomfln_front: listen %s: %v", *listen, err)
	}
	log.Printf("nomfln_front: listening on %s, relaying to %s", ln.Addr(), *upstream)
	time.AfterFunc(*lifetime, func() { os.Exit(0) })
	for n := 0; ; n++ {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("nomfln_front: accept: %v", err)
		}
		go relay(n, c.(*tls.Conn), *upstream)
	}
}

func relay(n int, c *tls.Conn, upstream string) {
	defer c.Close()
	if err := c.Handshake(); err != nil {
		log.Printf("conn %d: handshake failed: %v", n, err)
		return
	}
	st := c.ConnectionState()
	log.Printf("conn %d: handshake done, suite %s, no MFLN", n, tls.CipherSuiteName(st.CipherSuite))
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Printf("conn %d: upstream %s: %v", n, upstream, err)
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(u, c); done <- struct{}{} }()
	go func() { io.Copy(c, u); done <- struct{}{} }()
	<-done
	log.Printf("conn %d: closed", n)
}
