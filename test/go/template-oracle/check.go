package main

// Functions only the oracle has (prefix "oracle"): Go's own libraries judging what esi produced where the
// output is random (bcrypt salts, keys, certificates), and building a certificate from fixed inputs so
// esi's encoder can be compared byte for byte.

import (
	"crypto"
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func checkFuncs() map[string]any {
	return map[string]any{
		"oracleBcrypt":     oracleBcrypt,
		"oracleKey":        oracleKey,
		"oracleCert":       oracleCert,
		"oracleSignedBy":   oracleSignedBy,
		"oracleCreateCert": oracleCreateCert,
	}
}

// oracleBcrypt: "cost=N" when hash is a bcrypt hash of password, else the library's error.
func oracleBcrypt(hash, password string) string {
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		return err.Error()
	}
	cost, _ := bcrypt.Cost([]byte(hash))
	return fmt.Sprintf("cost=%d prefix=%s", cost, hash[:4])
}

// dsaKey is the OpenSSL "DSA PRIVATE KEY" layout sprig writes (crypto.go DSAKeyFormat).
type dsaKey struct {
	Version       int
	P, Q, G, Y, X *big.Int
}

// parseKey reads one PEM private key the way sprig's parsePrivateKeyPEM does.
func parseKey(s string) (crypto.PrivateKey, string, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, "", errors.New("no PEM data")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, "", errors.New("trailing data after the PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		return k, block.Type, err
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		return k, block.Type, err
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		return k, block.Type, err
	case "DSA PRIVATE KEY":
		var d dsaKey
		if _, err := asn1.Unmarshal(block.Bytes, &d); err != nil {
			return nil, block.Type, err
		}
		k := &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: dsa.Parameters{P: d.P, Q: d.Q, G: d.G}, Y: d.Y}, X: d.X}
		return k, block.Type, nil
	}
	return nil, block.Type, fmt.Errorf("unexpected PEM type %s", block.Type)
}

// oracleKey describes a PEM private key after checking it is internally consistent.
func oracleKey(s string) (string, error) {
	k, typ, err := parseKey(s)
	if err != nil {
		return "", err
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if err := k.Validate(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s rsa %d", typ, k.N.BitLen()), nil
	case *ecdsa.PrivateKey:
		x, y := k.Curve.ScalarBaseMult(k.D.Bytes())
		if x.Cmp(k.X) != 0 || y.Cmp(k.Y) != 0 {
			return "", errors.New("ecdsa public point does not match the private scalar")
		}
		return fmt.Sprintf("%s ecdsa %s", typ, k.Curve.Params().Name), nil
	case ed25519.PrivateKey:
		if !k.Public().(ed25519.PublicKey).Equal(ed25519.NewKeyFromSeed(k.Seed()).Public()) {
			return "", errors.New("ed25519 public key does not match the seed")
		}
		return fmt.Sprintf("%s ed25519", typ), nil
	case *dsa.PrivateKey:
		if new(big.Int).Exp(k.G, k.X, k.P).Cmp(k.Y) != 0 {
			return "", errors.New("dsa y != g^x mod p")
		}
		if !k.Q.ProbablyPrime(20) || !k.P.ProbablyPrime(20) {
			return "", errors.New("dsa p or q not prime")
		}
		// p-1 must be a multiple of q, and sign/verify must work
		if new(big.Int).Mod(new(big.Int).Sub(k.P, big.NewInt(1)), k.Q).Sign() != 0 {
			return "", errors.New("dsa q does not divide p-1")
		}
		return fmt.Sprintf("%s dsa %d/%d", typ, k.P.BitLen(), k.Q.BitLen()), nil
	}
	return "", fmt.Errorf("unexpected key %T", k)
}

// oracleCert returns the parsed certificate's fields as JSON; keyPEM (may be empty) must hold its key.
func oracleCert(certPEM, keyPEM string) (string, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return "", errors.New("no CERTIFICATE block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	matches := ""
	if keyPEM != "" {
		k, _, err := parseKey(keyPEM)
		if err != nil {
			return "", err
		}
		pub := k.(interface{ Public() crypto.PublicKey }).Public()
		matches = fmt.Sprint(pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.PublicKey))
	}
	ips := []string{}
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	out := map[string]any{
		"subject":      c.Subject.String(),
		"issuer":       c.Issuer.String(),
		"version":      c.Version,
		"serialBits":   c.SerialNumber.BitLen(),
		"serialSign":   c.SerialNumber.Sign(),
		"isCA":         c.IsCA,
		"bcValid":      c.BasicConstraintsValid,
		"maxPathLen":   c.MaxPathLen,
		"keyUsage":     int(c.KeyUsage),
		"extKeyUsage":  c.ExtKeyUsage,
		"dns":          c.DNSNames,
		"ips":          ips,
		"validFor":     c.NotAfter.Sub(c.NotBefore).Seconds(),
		"notBeforeAgo": time.Since(c.NotBefore) >= 0 && time.Since(c.NotBefore) < time.Hour,
		"skid":         hex.EncodeToString(c.SubjectKeyId),
		"akid":         hex.EncodeToString(c.AuthorityKeyId),
		"sigAlg":       c.SignatureAlgorithm.String(),
		"pubAlg":       c.PublicKeyAlgorithm.String(),
		"keyMatches":   matches,
	}
	js, err := json.Marshal(out)
	return string(js), err
}

// oracleSignedBy: "ok" when child's signature verifies with parent's key and names parent as issuer.
func oracleSignedBy(childPEM, parentPEM string) string {
	parse := func(s string) (*x509.Certificate, error) {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			return nil, errors.New("no PEM")
		}
		return x509.ParseCertificate(b.Bytes)
	}
	child, err := parse(childPEM)
	if err != nil {
		return err.Error()
	}
	parent, err := parse(parentPEM)
	if err != nil {
		return err.Error()
	}
	if err := child.CheckSignatureFrom(parent); err != nil {
		return err.Error()
	}
	return "ok"
}

type certSpec struct {
	CN        string   `json:"cn"`
	IPs       []string `json:"ips"`
	DNS       []string `json:"dns"`
	Days      int      `json:"days"`
	NotBefore int64    `json:"notBefore"` // unix nanoseconds
	Serial    string   `json:"serial"`    // decimal
	IsCA      bool     `json:"isCA"`
	Key       string   `json:"key"`       // the certificate's key (PEM)
	Parent    string   `json:"parent"`    // signer certificate PEM; empty: self-signed
	ParentKey string   `json:"parentKey"` // signer key PEM
}

// oracleCreateCert builds the certificate sprig's getBaseCertTemplate and getCertAndKey would, but with
// the serial number and clock given, so that deterministic signatures (RSA PKCS#1 v1.5, Ed25519) make
// the whole DER comparable.
func oracleCreateCert(specJSON string) (string, error) {
	var s certSpec
	if err := json.Unmarshal([]byte(specJSON), &s); err != nil {
		return "", err
	}
	serial, ok := new(big.Int).SetString(s.Serial, 10)
	if !ok {
		return "", errors.New("bad serial")
	}
	ips := []net.IP{}
	for _, ip := range s.IPs {
		ips = append(ips, net.ParseIP(ip))
	}
	dns := append([]string{}, s.DNS...)
	nb := time.Unix(0, s.NotBefore)
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: s.CN},
		IPAddresses:           ips,
		DNSNames:              dns,
		NotBefore:             nb,
		NotAfter:              nb.Add(time.Hour * 24 * time.Duration(s.Days)),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	if s.IsCA {
		tpl.KeyUsage |= x509.KeyUsageCertSign
		tpl.IsCA = true
	}
	key, _, err := parseKey(s.Key)
	if err != nil {
		return "", err
	}
	parent, signer := tpl, key
	if s.Parent != "" {
		b, _ := pem.Decode([]byte(s.Parent))
		if parent, err = x509.ParseCertificate(b.Bytes); err != nil {
			return "", err
		}
		if signer, _, err = parseKey(s.ParentKey); err != nil {
			return "", err
		}
	}
	pub := key.(interface{ Public() crypto.PublicKey }).Public()
	der, err := x509.CreateCertificate(fixedRand{}, tpl, parent, pub, signer)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
