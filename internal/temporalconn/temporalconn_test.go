package temporalconn_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/approdo/approdo/internal/devtls"
	"github.com/approdo/approdo/internal/temporalconn"
)

// call is what the recording frontend saw of one call.
type call struct {
	method        string
	authorization []string
	clientCert    bool
}

// recordingFrontend is a gRPC server on loopback, with TLS from certs, that answers
// every call Unavailable and reports what it received. It stands in for a Temporal
// frontend with an authorizer, which the dev server does not have.
func recordingFrontend(t *testing.T, certs devtls.Files) (string, <-chan call) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	require.NoError(t, err)
	calls := make(chan call, 100)
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequestClientCert})),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			md, _ := metadata.FromIncomingContext(stream.Context())
			c := call{method: method, authorization: md.Get("authorization")}
			if info, ok := credentialsTLS(stream.Context()); ok {
				c.clientCert = len(info.State.PeerCertificates) > 0
			}
			select {
			case calls <- c:
			default:
			}
			return status.Error(codes.Unavailable, "recording only")
		}),
	)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String(), calls
}

func credentialsTLS(ctx context.Context) (credentials.TLSInfo, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return credentials.TLSInfo{}, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	return info, ok
}

func dial(t *testing.T, hostPort string, s temporalconn.Settings) {
	t.Helper()
	opts := client.Options{HostPort: hostPort, Namespace: "default"}
	require.NoError(t, s.Apply(&opts))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		c.Close()
	}
	// The recording frontend refuses every call; what matters is what it received.
	require.Error(t, err)
}

func TestAPIKeyIsSentAsABearerTokenOverTLS(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	addr, calls := recordingFrontend(t, certs)

	const key = "tmprl-test-key-1234"
	dial(t, addr, temporalconn.Settings{CAFile: certs.CA, ServerName: devtls.ServerName, APIKey: key})
	select {
	case c := <-calls:
		require.Equal(t, "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", c.method)
		require.Equal(t, []string{"Bearer " + key}, c.authorization)
		require.False(t, c.clientCert, "no client certificate was configured")
	case <-time.After(5 * time.Second):
		t.Fatal("the frontend received no call: the TLS handshake failed")
	}
}

func TestClientCertificateIsPresented(t *testing.T) {
	certs, err := devtls.Ensure(t.TempDir())
	require.NoError(t, err)
	addr, calls := recordingFrontend(t, certs)

	dial(t, addr, temporalconn.Settings{CAFile: certs.CA, ServerName: devtls.ServerName, CertFile: certs.ClientCert, KeyFile: certs.ClientKey})
	select {
	case c := <-calls:
		require.True(t, c.clientCert)
		require.Empty(t, c.authorization, "no API key was configured")
	case <-time.After(5 * time.Second):
		t.Fatal("the frontend received no call: the TLS handshake failed")
	}
}

func TestPlainTextByDefault(t *testing.T) {
	var s temporalconn.Settings
	require.False(t, s.Enabled())
	opts := client.Options{}
	require.NoError(t, s.Apply(&opts))
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.Nil(t, opts.Credentials)
}

func TestCompressionIsOffUnlessAsked(t *testing.T) {
	for value, want := range map[string]client.GrpcCompression{
		"":     &client.GrpcCompressionNone{},
		"none": &client.GrpcCompressionNone{},
		"gzip": &client.GrpcCompressionGzip{},
	} {
		s := temporalconn.Settings{Compression: value}
		require.NoError(t, s.Check(nil))
		opts := client.Options{}
		require.NoError(t, s.Apply(&opts))
		require.IsType(t, want, opts.ConnectionOptions.GrpcCompression, "compression %q", value)
	}
	s := temporalconn.Settings{Compression: "brotli"}
	err := s.Check(map[string]string{"Compression": "TEMPORAL_GRPC_COMPRESSION"})
	require.ErrorContains(t, err, "TEMPORAL_GRPC_COMPRESSION must be none or gzip")
	require.Error(t, s.Apply(&client.Options{}))
}
