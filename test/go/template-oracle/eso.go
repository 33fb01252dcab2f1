package main

// ESO v2.9.0's PKCS#12 and certificate-chain template functions (runtime/template/v2/pkcs12.go,
// pem.go, pem_chain.go), restated over the same library calls so the oracle answers as ESO does,
// panics included (text/template turns a panicking function into "error calling X: <panic>").

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

// fixedRand is what ESO's own pkcs12 tests feed go-pkcs12 (pkcs12_test.go MockRandomReader): every read
// starts with the 12 bytes `"0123456789"`. The oracle encodes with it so that esi's encoder, given the
// same bytes, can be compared byte for byte.
type fixedRand struct{}

func (fixedRand) Read(p []byte) (int, error) {
	copy(p, `"0123456789"`)
	return len(p), nil
}

var modern = gopkcs12.Modern.WithRand(fixedRand{})

func esoPKCS12Funcs() map[string]any {
	keyPass := func(pass, input string) (string, error) {
		key, _, _, err := gopkcs12.DecodeChain([]byte(input), pass)
		if err != nil {
			return "", fmt.Errorf("unable to decode pkcs12 with password: %s", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	}
	certPass := func(pass, input string) (string, error) {
		_, cert, cas, err := gopkcs12.DecodeChain([]byte(input), pass)
		if err != nil {
			return "", fmt.Errorf("unable to decode pkcs12 certificate with password: %s", err)
		}
		all := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		for _, ca := range cas {
			all = append(all, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
		}
		if ordered, err := orderedChainPEM(all); err == nil {
			return string(ordered), nil
		}
		return string(all), nil
	}
	toPkcs12 := func(cert, key, pass string, withChain bool) (string, error) {
		block, rest := pem.Decode([]byte(cert))
		leaf, err := x509.ParseCertificate(block.Bytes) // nil block: ESO panics too
		if err != nil {
			return "", err
		}
		var cas []*x509.Certificate
		if withChain {
			if cas, err = caCerts(rest); err != nil {
				return "", err
			}
		}
		keyBlock, _ := pem.Decode([]byte(key))
		k, err := anyPrivateKey(keyBlock.Bytes)
		if err != nil {
			return "", err
		}
		pfx, err := modern.Encode(k, leaf, cas, pass)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(pfx), nil
	}
	trustStore := func(cert, pass string) (string, error) {
		cas, err := caCerts([]byte(cert))
		if err != nil {
			return "", err
		}
		pfx, err := modern.EncodeTrustStore(cas, pass)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(pfx), nil
	}
	return map[string]any{
		"pkcs12key":                 func(input string) (string, error) { return keyPass("", input) },
		"pkcs12keyPass":             keyPass,
		"pkcs12cert":                func(input string) (string, error) { return certPass("", input) },
		"pkcs12certPass":            certPass,
		"pemToPkcs12":               func(cert, key string) (string, error) { return toPkcs12(cert, key, "", false) },
		"pemToPkcs12Pass":           func(cert, key, pass string) (string, error) { return toPkcs12(cert, key, pass, false) },
		"fullPemToPkcs12":           func(cert, key string) (string, error) { return toPkcs12(cert, key, "", true) },
		"fullPemToPkcs12Pass":       func(cert, key, pass string) (string, error) { return toPkcs12(cert, key, pass, true) },
		"pemTruststoreToPKCS12":     func(cert string) (string, error) { return trustStore(cert, "") },
		"pemTruststoreToPKCS12Pass": trustStore,
	}
}

// anyPrivateKey tries PKCS#1, PKCS#8 and SEC 1 in ESO's order (pkcs12.go parsePrivateKey).
func anyPrivateKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unable to parse private key type")
}

// caCerts parses every PEM block until the input is used up (a trailing non-PEM rest panics, as in ESO).
func caCerts(data []byte) ([]*x509.Certificate, error) {
	out := []*x509.Certificate{}
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

type chainNode struct {
	cert     *x509.Certificate
	parent   *chainNode
	isParent bool
}

// orderedChain links each certificate to the first other one whose SubjectKeyId equals its
// AuthorityKeyId and walks from the single certificate nobody points at (pem_chain.go).
func orderedChain(data []byte) ([]*x509.Certificate, error) {
	var nodes []*chainNode
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, &chainNode{cert: c})
	}
	for i := range nodes {
		for j := range nodes {
			if i != j && bytes.Equal(nodes[i].cert.AuthorityKeyId, nodes[j].cert.SubjectKeyId) {
				nodes[j].isParent = true
				nodes[i].parent = nodes[j]
				break
			}
		}
	}
	var leaf *chainNode
	for _, n := range nodes {
		if !n.isParent {
			if leaf != nil {
				return nil, errors.New("found multiple leaf or disjunct certificates")
			}
			leaf = n
		}
	}
	if leaf == nil {
		return nil, errors.New("no leaf certificate found")
	}
	var chain []*x509.Certificate
	for n := leaf; n != nil; n = n.parent {
		if len(chain) >= len(nodes) {
			return nil, errors.New("constructing chain resulted in cycle")
		}
		chain = append(chain, n.cert)
	}
	return chain, nil
}

func orderedChainPEM(data []byte) ([]byte, error) {
	chain, err := orderedChain(data)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, c := range chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out, nil
}

func isRoot(c *x509.Certificate) bool {
	return c.AuthorityKeyId == nil || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

func filterCertChain(certType, input string) (string, error) {
	chain, err := orderedChain([]byte(input))
	if err != nil {
		return "", err
	}
	one := func(c *x509.Certificate) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	switch certType {
	case "leaf":
		if c := chain[0]; c.AuthorityKeyId != nil && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
			return one(c), nil
		}
	case "intermediate":
		out := ""
		if len(chain) < 2 {
			return "", nil
		}
		for _, c := range chain[1:] {
			if isRoot(c) {
				break
			}
			out += one(c)
		}
		return out, nil
	case "root":
		if c := chain[len(chain)-1]; isRoot(c) {
			return one(c), nil
		}
	}
	return "", nil
}
