#!/usr/bin/env bash
# make-certs.sh OUTDIR: writes the TLS fixtures of the ZTNA tests into
# OUTDIR, fresh on every run (STYLE.md: no PEM blobs in the tree):
#   ca.pem              the client CA (also signs the server certificate)
#   other-ca.pem        a CA nobody trusts
#   server.pem/.key     CN app.example.com, SAN app.example.com and api.example.com
#   client.pem/.key     CN device-0001, OU corp, OU managed (the identity docs/ztna.md maps)
#   revoked.pem/.key    CN device-0002, revoked in crl.pem
#   stranger.pem/.key   CN device-0003, signed by other-ca
#   crl.pem             ca's CRL revoking revoked.pem
# EC P-256 keys: fast enough to generate on every test run.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
rm -rf db && mkdir db && : > db/index.txt && echo 1000 > db/crlnumber

cat > ca.cnf <<'CNF'
[ca]
default_ca = test_ca
[test_ca]
database = db/index.txt
crlnumber = db/crlnumber
default_md = sha256
default_crl_days = 30
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:false
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:app.example.com, DNS:api.example.com
[client]
basicConstraints = CA:false
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
CNF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

make_ca() {  # name subject
  key "$1"
  openssl req -new -x509 -key "$1.key" -subj "$2" -days 30 -config ca.cnf -extensions v3_ca -out "$1.pem"
}

sign() {  # name subject ca extensions
  key "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 -sha256 \
    -extfile ca.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}

make_ca ca "/CN=Tandem Test CA"
make_ca other-ca "/CN=Tandem Other CA"
sign server "/CN=app.example.com" ca server
sign client "/CN=device-0001/OU=corp/OU=managed" ca client
sign revoked "/CN=device-0002/OU=corp" ca client
sign stranger "/CN=device-0003" other-ca client

openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -revoke revoked.pem 2>/dev/null
openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.pem 2>/dev/null
