package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
)

// Owner is the CR a run works for.
type Owner struct {
	APIVersion, Kind, Name string
	Namespace              string // "" for a cluster-scoped CR
	UID                    types.UID
}

// Write is one object a run wrote through the proxy.
type Write struct {
	GroupVersionKind schema.GroupVersionKind
	Namespace, Name  string // Namespace is "" for cluster-scoped objects
	// ResourceVersion is the one the API server answered with: "" for
	// deletes and for responses that are not JSON.
	ResourceVersion string
	Verb            string // create, update, patch, apply or delete
	Created         bool   // the API server answered 201 Created
	// OwnedBy is how the object in the response records the owner:
	// OwnedByOwnerRef, OwnedByAnnotation, or "" when it does not (an object
	// the run updated but did not create) or the response does not say (a
	// delete answered with a Status, a response that is not JSON).
	OwnedBy string
}

// Options configure a Proxy.
type Options struct {
	// Config holds the operator's own credentials, which every forwarded
	// request uses.
	Config *rest.Config
	// Addr is the loopback host:port to listen on; port 0 picks a free one.
	Addr string
	Log  logr.Logger
	// OnWrite, when set, is called after each successful write of an object.
	OnWrite func(Owner, Write)
}

// Proxy is the API server of Ansible runs. It is a controller-runtime
// manager.Runnable that runs on every replica.
type Proxy struct {
	log       logr.Logger
	onWrite   func(Owner, Write)
	listener  net.Listener
	cert      tls.Certificate
	caPEM     []byte // cert, which clients trust
	target    *url.URL
	client    *http.Client // the operator's credentials, for the proxy's own requests
	forward   *httputil.ReverseProxy
	resources *resources
	infos     *request.RequestInfoFactory

	mu sync.RWMutex
	// owners are keyed by the SHA-256 of their token, so that the time a
	// lookup takes says nothing about the tokens.
	owners map[[sha256.Size]byte]Owner
}

// maxBody bounds a request body the proxy reads to record the owner; the API
// server's own limit is 3 MiB.
const maxBody = 8 << 20

// New listens on opts.Addr, which must be a loopback address, so that port
// conflicts show at once and Addr is known before Start serves.
func New(opts Options) (*Proxy, error) {
	if opts.Config == nil {
		return nil, errors.New("create API proxy: no rest config")
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("create API proxy: address %q: %w", opts.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("create API proxy: address %q is not loopback; the proxy acts with the operator's credentials and must not be reachable from outside the pod", opts.Addr)
	}
	target, _, err := rest.DefaultServerUrlFor(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("create API proxy: API server URL: %w", err)
	}
	transport, err := rest.TransportFor(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("create API proxy: transport: %w", err)
	}
	client := &http.Client{Transport: transport}
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(opts.Config, client)
	if err != nil {
		return nil, fmt.Errorf("create API proxy: discovery client: %w", err)
	}
	cert, caPEM, err := selfSigned()
	if err != nil {
		return nil, fmt.Errorf("create API proxy: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("create API proxy: %w", err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		_ = ln.Close() // the address is refused whatever Close says
		return nil, fmt.Errorf("create API proxy: %q resolved to %s, which is not loopback", opts.Addr, ln.Addr())
	}
	p := &Proxy{
		log:       opts.Log,
		onWrite:   opts.OnWrite,
		listener:  ln,
		cert:      cert,
		caPEM:     caPEM,
		target:    target,
		client:    client,
		resources: newResources(disc),
		infos: &request.RequestInfoFactory{
			APIPrefixes:          sets.NewString("api", "apis"),
			GrouplessAPIPrefixes: sets.NewString("api"),
		},
		owners: map[[sha256.Size]byte]Owner{},
	}
	p.forward = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:      transport,
		FlushInterval:  -1,
		ModifyResponse: p.afterWrite,
		ErrorHandler:   p.forwardError,
	}
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.listener.Addr().String() }

// NeedLeaderElection is false: runs happen on the leader, but the proxy costs
// nothing while idle.
func (p *Proxy) NeedLeaderElection() bool { return false }

// Start serves until ctx ends, then cancels requests in flight (watches
// included) and closes the listener.
func (p *Proxy) Start(ctx context.Context) error {
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{p.cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          log.New(serverLog{p.log}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(p.listener, "", "") }()
	select {
	case err := <-served:
		return fmt.Errorf("serve API proxy on %s: %w", p.Addr(), err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		return fmt.Errorf("stop API proxy on %s: %w", p.Addr(), err)
	}
	return nil
}

// serverLog passes the HTTP server's own messages (TLS handshake errors from
// clients that did not use the kubeconfig) to the logger.
type serverLog struct{ log logr.Logger }

func (s serverLog) Write(b []byte) (int, error) {
	s.log.V(1).Info("API proxy server error", "error", strings.TrimSpace(string(b)))
	return len(b), nil
}

// Register returns a new token that identifies owner, and a function that
// revokes it; revoking twice is harmless.
func (p *Proxy) Register(owner Owner) (token string, release func()) {
	token = rand.Text()
	key := sha256.Sum256([]byte(token))
	p.mu.Lock()
	p.owners[key] = owner
	p.mu.Unlock()
	var once sync.Once
	return token, func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.owners, key)
			p.mu.Unlock()
		})
	}
}

// Kubeconfig returns a kubeconfig that reaches the proxy with token and
// trusts the proxy's certificate.
func (p *Proxy) Kubeconfig(token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: "https://" + p.Addr(), CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["run"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["run"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "run"}
	cfg.CurrentContext = "run"
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write proxy kubeconfig: %w", err)
	}
	return b, nil
}

// selfSigned makes the proxy's serving certificate for the loopback
// addresses, which is also the CA that its kubeconfigs trust. The key never
// leaves the process.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate serving key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "foreman-operator API proxy"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create serving certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func (p *Proxy) authenticate(r *http.Request) (Owner, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Owner{}, false
	}
	key := sha256.Sum256([]byte(strings.TrimSpace(token)))
	p.mu.RLock()
	defer p.mu.RUnlock()
	owner, ok := p.owners[key]
	return owner, ok
}

// ServeHTTP authenticates a request, records the owner in the objects it
// writes and forwards it with the operator's credentials.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	owner, ok := p.authenticate(r)
	if !ok {
		p.log.V(1).Info("Rejected request without a registered token", "method", r.Method, "path", r.URL.Path)
		writeStatus(w, &statusError{http.StatusUnauthorized, metav1.StatusReasonUnauthorized,
			errors.New("the API proxy needs the bearer token of a running reconcile")})
		return
	}
	r.Header.Del("Authorization")
	for k := range r.Header {
		if strings.HasPrefix(k, "Impersonate-") {
			r.Header.Del(k)
		}
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		p.forward.ServeHTTP(w, r)
		return
	}
	wr, err := p.prepareWrite(w, r, owner)
	if err != nil {
		p.log.V(1).Info("Refused write", "method", r.Method, "path", r.URL.Path, "reason", err.Error(),
			owner.Kind, klog.KRef(owner.Namespace, owner.Name))
		writeStatus(w, err)
		return
	}
	p.forward.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), writeKey{}, wr)))
}

func (p *Proxy) forwardError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.V(1).Info("Forwarding failed", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
	writeStatus(w, &statusError{http.StatusBadGateway, metav1.StatusReasonInternalError, err})
}

// apiURL is the API server's URL for u, a URL on the proxy, without query.
func (p *Proxy) apiURL(u *url.URL) string {
	out := &http.Request{URL: &url.URL{Path: u.Path, RawPath: u.RawPath}, Header: http.Header{}}
	(&httputil.ProxyRequest{Out: out}).SetURL(p.target)
	return out.URL.String()
}

// do sends req with the operator's credentials and reads the whole response.
func (p *Proxy) do(req *http.Request) (int, []byte, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, body, nil
}

// statusError is an error the proxy answers with itself.
type statusError struct {
	code   int
	reason metav1.StatusReason
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// writeStatus answers with a metav1.Status, as the API server would.
func writeStatus(w http.ResponseWriter, err error) {
	se := &statusError{http.StatusInternalServerError, metav1.StatusReasonInternalError, err}
	errors.As(err, &se)
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: err.Error(), Reason: se.reason, Code: int32(se.code),
	}
	b, merr := json.Marshal(st)
	if merr != nil {
		http.Error(w, err.Error(), se.code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(se.code)
	_, _ = w.Write(b) // the client is gone if this fails
}
