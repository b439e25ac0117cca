package smartproxy_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // OAuth 1.0a's HMAC-SHA1, as Foreman checks it
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theforeman/foreman-operator/internal/testrepo"
)

// The OAuth consumer of the fake Foreman.
const (
	consumerKey    = "proxy-test-key"
	consumerSecret = "s3cret/with+chars&more"
)

// fakeForeman plays the part of Foreman's API v2 that registering a Smart
// Proxy uses, and refuses any request whose OAuth 1.0a signature it cannot
// verify with the consumer secret.
type fakeForeman struct {
	t  *testing.T
	mu sync.Mutex
	// proxies by id; features Foreman sees on a proxy, by its URL.
	proxies  map[int]*fakeProxy
	features func(proxyURL string) []string
	// unreachable is how many creations fail with 422 first, as Foreman's
	// do while the proxy cannot be reached.
	unreachable int
	nextID      int
	requests    []string // "METHOD path" of every authenticated request
	refreshed   []int
	users       []string // FOREMAN-USER headers
}

type fakeProxy struct {
	ID       int
	Name     string
	URL      string
	Features []string
}

func newFakeForeman(t *testing.T) (*fakeForeman, *httptest.Server) {
	f := &fakeForeman{t: t, proxies: map[int]*fakeProxy{}, nextID: 1,
		features: func(string) []string { return []string{"Dynflow", "Logs", "Script"} }}
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var proxyPath = regexp.MustCompile(`^/api/v2/smart_proxies/(\d+)(/refresh)?$`)

func (f *fakeForeman) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := verifyOAuth(r, "https://"+r.Host); err != nil {
		http.Error(w, `{"error":{"message":"`+err.Error()+`"}}`, http.StatusUnauthorized)
		return
	}
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.users = append(f.users, r.Header.Get("FOREMAN-USER"))
	var body struct {
		SmartProxy struct{ Name, URL string } `json:"smart_proxy"`
	}
	if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	m := proxyPath.FindStringSubmatch(r.URL.Path)
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/smart_proxies":
		var results []*fakeProxy
		for _, id := range sortedIDs(f.proxies) {
			p := f.proxies[id]
			if matchesSearch(r.URL.Query().Get("search"), p) {
				results = append(results, p)
			}
		}
		writeJSON(w, map[string]any{"results": results})
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/smart_proxies":
		if f.unreachable > 0 {
			f.unreachable--
			http.Error(w, `{"error":{"message":"Unable to communicate with the proxy"}}`, http.StatusUnprocessableEntity)
			return
		}
		p := &fakeProxy{ID: f.nextID, Name: body.SmartProxy.Name, URL: body.SmartProxy.URL, Features: f.features(body.SmartProxy.URL)}
		f.nextID++
		f.proxies[p.ID] = p
		writeJSON(w, p)
	case m != nil:
		id, _ := strconv.Atoi(m[1])
		p, ok := f.proxies[id]
		switch {
		case !ok:
			http.NotFound(w, r)
		case r.Method == http.MethodPut && m[2] == "/refresh":
			f.refreshed = append(f.refreshed, id)
			p.Features = f.features(p.URL)
			writeJSON(w, p)
		case r.Method == http.MethodPut:
			p.Name, p.URL = body.SmartProxy.Name, body.SmartProxy.URL
			writeJSON(w, p)
		case r.Method == http.MethodGet:
			writeJSON(w, p)
		default:
			http.Error(w, "method", http.StatusMethodNotAllowed)
		}
	default:
		http.NotFound(w, r)
	}
}

func (p *fakeProxy) MarshalJSON() ([]byte, error) {
	features := []map[string]string{}
	for _, f := range p.Features {
		features = append(features, map[string]string{"name": f})
	}
	return json.Marshal(map[string]any{"id": p.ID, "name": p.Name, "url": p.URL, "features": features})
}

// matchesSearch understands the one search the script sends:
// name = "x" or url = "y".
func matchesSearch(search string, p *fakeProxy) bool {
	for _, term := range strings.Split(search, " or ") {
		field, value, _ := strings.Cut(term, " = ")
		value = strings.Trim(value, `"`)
		if (field == "name" && value == p.Name) || (field == "url" && value == p.URL) {
			return true
		}
	}
	return false
}

func sortedIDs(m map[int]*fakeProxy) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// verifyOAuth checks a two-legged OAuth 1.0a HMAC-SHA1 signature as RFC
// 5849 defines it, written here independently of the script.
func verifyOAuth(r *http.Request, origin string) error {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "OAuth ") {
		return fmt.Errorf("no OAuth Authorization header")
	}
	params := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, "OAuth "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		uv, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return err
		}
		params[k] = uv
	}
	if params["oauth_consumer_key"] != consumerKey || params["oauth_signature_method"] != "HMAC-SHA1" {
		return fmt.Errorf("unknown consumer or method")
	}
	ts, err := strconv.ParseInt(params["oauth_timestamp"], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("bad timestamp")
	}
	var pairs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	for k, v := range params {
		if k != "oauth_signature" {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	sort.Strings(pairs)
	base := r.Method + "&" + rfc3986(origin+r.URL.Path) + "&" + rfc3986(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(rfc3986(consumerSecret)+"&"))
	mac.Write([]byte(base))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(params["oauth_signature"])) {
		return fmt.Errorf("invalid signature")
	}
	return nil
}

// rfc3986 percent-encodes everything but the unreserved characters.
func rfc3986(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// register runs the script against srv with env on top of a valid
// environment, and returns its exit code, output and duration.
func register(t *testing.T, srv *httptest.Server, env map[string]string) (int, string, time.Duration) {
	t.Helper()
	need(t, python3)
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"FOREMAN_URL": srv.URL + "/", "PROXY_NAME": "proxy.example.com", "PROXY_URL": "https://proxy.example.com:8443",
		"PROXY_FEATURES": "Dynflow,Script", "FOREMAN_OAUTH_CONSUMER_KEY": consumerKey, "FOREMAN_OAUTH_CONSUMER_SECRET": consumerSecret,
		"FOREMAN_CA_FILE": ca, "REGISTER_TIMEOUT": "20", "REGISTER_INTERVAL": "0.2",
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(python3, filepath.Join(testrepo.Root(t), "roles", "smartproxy", "files", "register.py"))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run register.py: %v", err)
	}
	if strings.Contains(out.String(), consumerSecret) {
		t.Errorf("the script printed the consumer secret:\n%s", out.String())
	}
	return code, out.String(), time.Since(start)
}

func TestRegisterCreatesTheProxyOnceForemanCanReachIt(t *testing.T) {
	f, srv := newFakeForeman(t)
	f.unreachable = 2
	code, out, _ := register(t, srv, nil)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if len(f.proxies) != 1 || f.proxies[1].Name != "proxy.example.com" || f.proxies[1].URL != "https://proxy.example.com:8443" {
		t.Errorf("proxies %+v, want one named proxy.example.com at https://proxy.example.com:8443", f.proxies)
	}
	if posts := countOf(f.requests, "POST /api/v2/smart_proxies"); posts != 3 {
		t.Errorf("%d creations, want 3 (two refused while the proxy is unreachable)", posts)
	}
	if !strings.Contains(out, "Registered Smart Proxy proxy.example.com") || !strings.Contains(out, "Unable to communicate with the proxy") {
		t.Errorf("output does not tell the story:\n%s", out)
	}
	if slices.ContainsFunc(f.users, func(u string) bool { return u != "admin" }) {
		t.Errorf("FOREMAN-USER headers %v, want admin", f.users)
	}
}

func TestRegisterUpdatesAndRefreshesAProxyOfTheSameName(t *testing.T) {
	f, srv := newFakeForeman(t)
	f.proxies[7] = &fakeProxy{ID: 7, Name: "proxy.example.com", URL: "https://old.example.com:8443"}
	f.nextID = 8
	code, out, _ := register(t, srv, map[string]string{"PROXY_URL": "https://proxy.example.com:443", "FOREMAN_USER": "registrar"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if len(f.proxies) != 1 || f.proxies[7].URL != "https://proxy.example.com:443" {
		t.Errorf("proxies %+v, want proxy 7 moved to https://proxy.example.com:443", f.proxies)
	}
	if !slices.Equal(f.refreshed, []int{7}) {
		t.Errorf("refreshed %v, want [7]: Foreman must read the features again", f.refreshed)
	}
	if countOf(f.requests, "POST /api/v2/smart_proxies") != 0 {
		t.Errorf("requests %v: a second proxy was created", f.requests)
	}
	if f.users[0] != "registrar" {
		t.Errorf("FOREMAN-USER %q, want registrar", f.users[0])
	}
}

func TestRegisterFailsWhenForemanDoesNotSeeAFeature(t *testing.T) {
	_, srv := newFakeForeman(t)
	code, out, _ := register(t, srv, map[string]string{"PROXY_FEATURES": "Ansible,Dynflow,Script", "REGISTER_TIMEOUT": "1"})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "Foreman sees features Dynflow, Logs, Script of Smart Proxy proxy.example.com, not Ansible") {
		t.Errorf("the failure does not name the missing feature:\n%s", out)
	}
}

func TestRegisterStopsAtOnceOnWrongCredentials(t *testing.T) {
	f, srv := newFakeForeman(t)
	code, out, took := register(t, srv, map[string]string{"FOREMAN_OAUTH_CONSUMER_SECRET": "wrong", "REGISTER_TIMEOUT": "60"})
	if code != 1 || !strings.Contains(out, "HTTP 401") {
		t.Fatalf("exit %d, want 1 with HTTP 401:\n%s", code, out)
	}
	if took > 30*time.Second {
		t.Errorf("took %s: wrong credentials must not be retried until the timeout", took)
	}
	if len(f.requests) != 0 {
		t.Errorf("requests %v went through with a wrong signature", f.requests)
	}
}

func TestRegisterRefusesAMissingEnvironment(t *testing.T) {
	_, srv := newFakeForeman(t)
	code, out, _ := register(t, srv, map[string]string{"FOREMAN_OAUTH_CONSUMER_KEY": ""})
	if code != 2 || !strings.Contains(out, "missing environment: FOREMAN_OAUTH_CONSUMER_KEY") {
		t.Errorf("exit %d, want 2 naming the variable:\n%s", code, out)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}
