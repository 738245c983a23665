// Package devtls makes the certificates of the dev stack's TLS: a private certificate
// authority, a server certificate for the loopback addresses and a client certificate,
// all signed by that CA. The dev stack's Temporal frontend serves with them (mutual TLS),
// so the worker, the API and the CLI commands connect over the same TLS code path as in
// production. They are for loopback only: nothing outside the machine trusts this CA.
package devtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ServerName is the name every client verifies in the server certificate; it is one of
// the certificate's names, with 127.0.0.1, ::1 and localhost.
const ServerName = "localhost"

// validity is how long the certificates are valid. Ensure makes new ones well before
// they expire.
const validity = 5 * 365 * 24 * time.Hour

// renewBefore is how long before expiry Ensure replaces the certificates.
const renewBefore = 30 * 24 * time.Hour

// Files names the PEM files in a folder made by Ensure.
type Files struct {
	CA         string // the CA certificate
	ServerCert string // the server certificate, for 127.0.0.1, ::1 and localhost
	ServerKey  string
	ClientCert string // a client certificate, for mutual TLS
	ClientKey  string
}

// In names the files in dir.
func In(dir string) Files {
	return Files{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
}

// Ensure returns the certificates in dir, making a new CA and certificates first when
// any file is missing, unreadable or about to expire. Keys are written with mode 0600.
// The CA's own key is not kept: nothing new is ever signed with it, and a key that does
// not exist cannot leak.
func Ensure(dir string) (Files, error) {
	f := In(dir)
	if f.usable(time.Now()) {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Files{}, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := generate(f); err != nil {
		return Files{}, fmt.Errorf("make the dev TLS certificates in %s: %w", dir, err)
	}
	return f, nil
}

// usable tells whether both key pairs load, chain to the CA and stay valid a while.
func (f Files) usable(now time.Time) bool {
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return false
	}
	for _, pair := range []struct {
		cert, key string
		usage     x509.ExtKeyUsage
	}{{f.ServerCert, f.ServerKey, x509.ExtKeyUsageServerAuth}, {f.ClientCert, f.ClientKey, x509.ExtKeyUsageClientAuth}} {
		kp, err := tls.LoadX509KeyPair(pair.cert, pair.key)
		if err != nil {
			return false
		}
		leaf := kp.Leaf
		if leaf == nil || now.Add(renewBefore).After(leaf.NotAfter) {
			return false
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{pair.usage}})
		if err != nil {
			return false
		}
	}
	return true
}

func generate(f Files) error {
	now := time.Now().Add(-time.Hour) // a little slack for clocks
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Approdo dev CA", Organization: []string{"Approdo dev stack"}},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: ServerName},
		DNSNames:    []string{ServerName},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "approdo-dev-client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	// The CA certificate is written last: a run cut short leaves no CA file, so the next
	// Ensure starts over instead of trusting half a set.
	_ = os.Remove(f.CA)
	for _, leaf := range []struct {
		tmpl      *x509.Certificate
		cert, key string
	}{{server, f.ServerCert, f.ServerKey}, {client, f.ClientCert, f.ClientKey}} {
		if err := writeLeaf(leaf.tmpl, ca, caKey, now, leaf.cert, leaf.key); err != nil {
			return err
		}
	}
	return writePEM(f.CA, "CERTIFICATE", caDER, 0o644)
}

func writeLeaf(tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now
	tmpl.NotAfter = now.Add(validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(certFile, "CERTIFICATE", der, 0o644)
}

// writePEM replaces path with one PEM block, created with mode perm (a key is never
// readable by others, not even for a moment).
func writePEM(path, blockType string, der []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	err = pem.Encode(out, &pem.Block{Type: blockType, Bytes: der})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return errors.Join(fmt.Errorf("write %s", path), err)
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on Linux; if it ever does, no certificate is safe.
		panic(err)
	}
	return n
}
