package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

// TestReconnectOnShutdown: while calls run continuously against two
// servers, one shuts down gracefully. Its "_reconnect_" push makes the
// client close its connection (so the shutdown completes without waiting
// for the server's idle drain) and no call fails.
func TestReconnectOnShutdown(t *testing.T) {
	srvA, adA := startServer(t, []server.Option{server.WithDrainIdle(time.Hour)})
	_, adB := startServer(t, nil)
	e := interop.NewEchoClient(newClient(t, proxy(adA, adB)))

	stop := make(chan struct{})
	var calls, failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int32(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if v, err := e.EchoInt(t.Context(), i); err != nil || v != i {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				calls.Add(1)
			}
		}()
	}
	for calls.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if err := srvA.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v (the client kept its connection)", err)
	}
	n := calls.Load()
	for calls.Load() < n+200 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d of %d calls failed, first: %v", f, calls.Load(), firstErr.Load())
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	return "tcp -h 127.0.0.1 -p " + itoa(addr.Port)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestUnreachableEndpoint(t *testing.T) {
	c := newClient(t, echo.Obj+"@"+closedPort(t))
	_, err := interop.NewEchoClient(c).EchoInt(t.Context(), 1)
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.ProxyConnectErr || !contains(se.Message, "refused") {
		t.Fatalf("call to a closed port = %v", err)
	}
	// While the endpoint backs off, calls fail at once with the same cause.
	_, err = interop.NewEchoClient(c).EchoInt(t.Context(), 1)
	if !errors.As(err, &se) || se.Code != protocol.ProxyConnectErr || !contains(se.Message, "refused") {
		t.Fatalf("second call = %v", err)
	}
}

// TestCallsMoveOffFailedDials: calls queued on a connection whose dial
// fails were never sent, so they go to the other endpoint instead of
// failing.
func TestCallsMoveOffFailedDials(t *testing.T) {
	_, ad := startServer(t, nil)
	c := newClient(t, echo.Obj+"@"+closedPort(t)+":"+ad.Endpoint().String())
	e := interop.NewEchoClient(c)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := e.EchoInt(t.Context(), int32(i)); err != nil || v != int32(i) {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d calls failed", bad.Load())
	}
}

// fakeServer accepts connections and runs f on each.
func fakeServer(t *testing.T, f func(nc net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				f(nc)
			}()
		}
	}()
	return "tcp -h 127.0.0.1 -p " + itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestSentCallFailsOnBrokenConnection: a call the server received but
// never answered fails with -8 when the connection breaks.
func TestSentCallFailsOnBrokenConnection(t *testing.T) {
	ep := fakeServer(t, func(nc net.Conn) {
		protocol.NewFrameReader(nc, 0).Next() // read one request, then hang up
	})
	c := newClient(t, echo.Obj+"@"+ep)
	_, err := interop.NewEchoClient(c).EchoInt(t.Context(), 1)
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.ProxyConnectErr || !contains(se.Message, "lost") {
		t.Fatalf("call on a broken connection = %v", err)
	}
}

func TestPushHandler(t *testing.T) {
	ep := fakeServer(t, func(nc net.Conn) {
		fr := protocol.NewFrameReader(nc, 0)
		body, err := fr.Next()
		if err != nil {
			return
		}
		var req protocol.RequestPacket
		req.Decode(body)
		var w codec.Writer
		protocol.WriteFrame(&w, &protocol.ResponsePacket{Version: 1, Buffer: []byte("hello"), ResultDesc: "news"})
		protocol.WriteFrame(&w, &protocol.ResponsePacket{Version: 1, RequestID: req.RequestID, Buffer: []byte{0x00, 0x07}})
		nc.Write(w.Bytes())
		fr.Next()
	})
	pushes := make(chan *protocol.ResponsePacket, 1)
	c := newClient(t, echo.Obj+"@"+ep, client.WithPushHandler(func(p *protocol.ResponsePacket) { pushes <- p }))
	if v, err := interop.NewEchoClient(c).EchoInt(t.Context(), 7); err != nil || v != 7 {
		t.Fatalf("call = %v %v", v, err)
	}
	select {
	case p := <-pushes:
		if string(p.Buffer) != "hello" || p.ResultDesc != "news" {
			t.Errorf("push = %+v", p)
		}
	case <-time.After(testTimeout):
		t.Fatal("no push")
	}
}

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "outpost test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := server.New(server.WithLogger(quiet))
	ad, err := srv.Listen("ssl -h 127.0.0.1 -p 0", server.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	if err != nil {
		t.Fatal(err)
	}
	ad.Handle(echo.Obj, interop.NewEchoDispatcher(echo.Echo{}))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	if _, err := srv.Listen("ssl -h 127.0.0.1 -p 0"); err == nil {
		t.Error("ssl endpoint without TLS configuration accepted")
	}

	c := newClient(t, proxy(ad), client.WithTLS(&tls.Config{RootCAs: pool}))
	if v, err := interop.NewEchoClient(c).EchoString(t.Context(), "secret"); err != nil || v != "secret" {
		t.Fatalf("TLS call = %q %v", v, err)
	}
	plain := newClient(t, proxy(ad))
	if _, err := interop.NewEchoClient(plain).EchoString(t.Context(), "x"); err == nil {
		t.Fatal("ssl endpoint called without TLS")
	}
}
