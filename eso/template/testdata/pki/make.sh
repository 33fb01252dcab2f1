#!/usr/bin/env bash
# Regenerates the test PKI of the certificate and PKCS#12 template tests (no secrets: throwaway keys).
# OpenSSL 3: a root CA, an intermediate, an RSA leaf and an EC leaf, an unrelated root, Ed25519 and DSA keys, and PKCS#12
# archives in the encodings found in the wild (PBES2/AES with SHA-256 MAC, legacy RC2-40 + 3DES, 3DES
# only, no password, a trust store, a keyless archive).
set -euo pipefail
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.crt -days $days -subj "/CN=esi test root" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/CN=esi test intermediate"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
openssl x509 -req -in inter.csr -CA root.crt -CAkey root.key -CAcreateserial -out inter.crt -days $days -extfile ca.ext
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=leaf.esi.test"
printf 'subjectAltName=DNS:leaf.esi.test,IP:10.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA inter.crt -CAkey inter.key -CAcreateserial -out leaf.crt -days $days -extfile leaf.ext
openssl ecparam -name prime256v1 -genkey -noout -out ec-leaf.sec1.key
openssl pkcs8 -topk8 -nocrypt -in ec-leaf.sec1.key -out ec-leaf.key
openssl req -new -key ec-leaf.key -out ec-leaf.csr -subj "/CN=ec.esi.test"
openssl x509 -req -in ec-leaf.csr -CA inter.crt -CAkey inter.key -CAcreateserial -out ec-leaf.crt -days $days -extfile leaf.ext
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-root.key -out other-root.crt -days $days -subj "/CN=esi other root"
openssl rsa -in leaf.key -traditional -out leaf.pkcs1.key
cat inter.crt leaf.crt root.crt > chain-scrambled.pem
cat leaf.crt inter.crt root.crt other-root.crt > chain-disjunct.pem
chain() { cat inter.crt root.crt; }
openssl pkcs12 -export -in leaf.crt -inkey leaf.key -certfile <(chain) -passout pass:1234 -out leaf-aes.p12
openssl pkcs12 -export -legacy -in leaf.crt -inkey leaf.key -certfile <(chain) -passout pass:1234 -out leaf-legacy.p12
openssl pkcs12 -export -in leaf.crt -inkey leaf.key -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -passout pass:1234 -out leaf-3des.p12
openssl pkcs12 -export -in ec-leaf.crt -inkey ec-leaf.key -certfile <(chain) -passout pass: -out ec-nopass.p12
openssl pkcs12 -export -in ec-leaf.crt -inkey ec-leaf.key -certpbe NONE -keypbe NONE -nomac -passout pass: -out ec-plain.p12
openssl genpkey -algorithm ed25519 -out ed25519.key
openssl dsaparam -out dsa.params 2048 && openssl gendsa -out dsa.pkcs8.key dsa.params && openssl pkey -in dsa.pkcs8.key -traditional -out dsa.key
rm -f dsa.params dsa.pkcs8.key
rm -f ./*.csr ./*.srl ./*.ext ec-leaf.sec1.key
