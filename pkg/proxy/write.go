package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/klog/v2"
)

type writeKey struct{}

// write is what the proxy knows about a write request while it is forwarded.
type write struct {
	owner           Owner
	verb            string
	info            *request.RequestInfo
	namespace, name string
	// tracked writes name one stored object: they are reported to OnWrite
	// and a creating one gets the owner.
	tracked bool
	dryRun  bool
	res     resource
	marker  marker
}

// prepareWrite classifies a write and, where the object needs it, records
// the owner in the request's body.
func (p *Proxy) prepareWrite(w http.ResponseWriter, r *http.Request, owner Owner) (*write, error) {
	r.Header.Del("Accept-Encoding") // so that the transport hands us a readable response
	wr, err := p.classify(r, owner)
	if err != nil || !wr.tracked {
		return wr, err
	}
	if acceptsJSON(r.Header.Get("Accept")) {
		r.Header.Set("Accept", "application/json") // a response afterWrite can read
	}
	switch wr.verb {
	case "create":
		return wr, p.rewriteBody(w, r, wr)
	case "update", "apply":
		m, exists, err := p.existingMarker(r, wr)
		if err != nil {
			return nil, &statusError{http.StatusBadGateway, metav1.StatusReasonInternalError, err}
		}
		if m != nil {
			wr.marker = *m
		}
		// An apply must carry the owner from the start: a field manager that
		// set a reference and later omits it removes it. A PUT that creates
		// gets the owner afterwards (followUp).
		if m != nil || (!exists && wr.verb == "apply") {
			return wr, p.rewriteBody(w, r, wr)
		}
	}
	return wr, nil
}

// classify says what a write request does, and whether it writes one stored
// object (tracked).
func (p *Proxy) classify(r *http.Request, owner Owner) (*write, error) {
	info, err := p.infos.NewRequestInfo(r)
	if err != nil {
		return nil, &statusError{http.StatusBadRequest, metav1.StatusReasonBadRequest, err}
	}
	wr := &write{owner: owner, verb: info.Verb, info: info, namespace: info.Namespace, name: info.Name}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPatch && ct == "application/apply-patch+yaml" {
		wr.verb = "apply"
	}
	switch {
	case !info.IsResourceRequest || info.Subresource != "":
		return wr, nil
	case wr.verb == "create" && info.Name == "":
	case wr.verb == "update" || wr.verb == "patch" || wr.verb == "apply" || wr.verb == "delete":
	default: // deletecollection, a POST to a named object
		return wr, nil
	}
	gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	res, err := p.resources.lookup(gv, info.Resource)
	if errors.Is(err, errUnknownResource) {
		return nil, &statusError{http.StatusNotFound, metav1.StatusReasonNotFound, err}
	}
	if err != nil {
		return nil, &statusError{http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, err}
	}
	if res.virtual {
		return wr, nil
	}
	if !res.namespaced {
		wr.namespace = "" // RequestInfo puts a Namespace's own name here
	}
	wr.tracked, wr.res = true, res
	wr.dryRun = r.URL.Query().Has("dryRun")
	wr.marker = newMarker(owner, res.namespaced, wr.namespace)
	return wr, nil
}

// existingMarker reads the object a PUT or apply writes and returns how it
// records the owner, nil when it does not (it is never adopted), and whether
// it exists.
func (p *Proxy) existingMarker(r *http.Request, wr *write) (*marker, bool, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.apiURL(r.URL), nil)
	if err != nil {
		return nil, false, fmt.Errorf("read %s to check its owner: %w", r.URL.Path, err)
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := p.do(req)
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("read %s to check its owner: %w", r.URL.Path, err)
	case status == http.StatusNotFound:
		return nil, false, nil
	case status != http.StatusOK:
		return nil, false, fmt.Errorf("read %s to check its owner: status %d", r.URL.Path, status)
	}
	m, ok, err := markerOf(body, wr.owner)
	if err != nil || !ok {
		return nil, true, err
	}
	return &m, true, nil
}

// acceptsJSON reports whether an Accept header admits JSON.
func acceptsJSON(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(part)
		if err == nil && (mt == "application/json" || mt == "application/*" || mt == "*/*") {
			return true
		}
	}
	return false
}

// rewriteBody records the owner in the request's body.
func (p *Proxy) rewriteBody(w http.ResponseWriter, r *http.Request, wr *write) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	enc := r.Header.Get("Content-Encoding")
	decode, ok := bodyDecoders[ct]
	if !ok || (enc != "" && enc != "identity") {
		return &statusError{http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Errorf("the API proxy records the CR as owner of %s and needs a JSON, YAML or protobuf body, not %q", wr.info.Resource, ct)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return &statusError{http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, err}
		}
		return &statusError{http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Errorf("read body: %w", err)}
	}
	js, err := decode(body)
	if err == nil {
		body, err = p.mark(js, wr)
	}
	if err != nil {
		return &statusError{http.StatusBadRequest, metav1.StatusReasonBadRequest, err}
	}
	if ct != "application/apply-patch+yaml" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if wr.name == "" {
		wr.name, _, _ = objectMeta(body) // "" for generateName; the response says
	}
	return nil
}

// mark records the owner in obj.
func (p *Proxy) mark(obj []byte, wr *write) ([]byte, error) {
	out, e, err := wr.marker.apply(obj, wr.owner)
	if err != nil {
		return nil, err
	}
	p.logEdit(e, wr)
	return out, nil
}

// logEdit logs what recording the owner could not do as asked.
func (p *Proxy) logEdit(e edit, wr *write) {
	if e.otherController != "" {
		p.log.Info("Object has another controller; adding the owner reference without controller",
			"resource", wr.info.Resource, "object", klog.KRef(wr.namespace, wr.name), "controller", e.otherController,
			wr.owner.Kind, klog.KRef(wr.owner.Namespace, wr.owner.Name))
	}
	if e.otherPrimary != "" {
		p.log.Info("Object names another primary resource; leaving it",
			"resource", wr.info.Resource, "object", klog.KRef(wr.namespace, wr.name), "primary", e.otherPrimary,
			wr.owner.Kind, klog.KRef(wr.owner.Namespace, wr.owner.Name))
	}
}

// afterWrite adds the owner to objects that a PUT or PATCH created without
// it, reports the write to OnWrite and logs it.
func (p *Proxy) afterWrite(resp *http.Response) error {
	wr, ok := resp.Request.Context().Value(writeKey{}).(*write)
	if !ok {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if wr.tracked && !wr.dryRun && resp.StatusCode/100 == 2 {
		var body []byte
		if ct == "application/json" {
			b, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close() // fully read; a close error changes nothing
			if err != nil {
				return fmt.Errorf("read response: %w", err)
			}
			if name, _, err := objectMeta(b); err == nil && wr.name == "" {
				wr.name = name // generateName
			}
			if body, err = p.followUp(resp, wr, b); err != nil {
				return err
			}
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		p.report(resp.StatusCode, wr, body)
	}
	p.log.V(1).Info("Forwarded write", "verb", wr.verb, "resource", wr.info.Resource,
		"object", klog.KRef(wr.namespace, wr.name), "code", resp.StatusCode,
		wr.owner.Kind, klog.KRef(wr.owner.Namespace, wr.owner.Name))
	return nil
}

// followUp returns obj, which a PUT or PATCH just created, with the owner
// recorded by a merge patch if it lacks it.
func (p *Proxy) followUp(resp *http.Response, wr *write, obj []byte) ([]byte, error) {
	if resp.StatusCode != http.StatusCreated || wr.verb == "create" || wr.verb == "delete" {
		return obj, nil
	}
	if _, ok, err := markerOf(obj, wr.owner); err != nil || ok {
		return obj, err
	}
	patch, e, err := wr.marker.patch(obj, wr.owner)
	if err != nil {
		return nil, fmt.Errorf("add owner to created %s %s: %w", wr.info.Resource, klog.KRef(wr.namespace, wr.name), err)
	}
	p.logEdit(e, wr)
	if patch == nil {
		return obj, nil
	}
	u := *resp.Request.URL
	u.RawQuery = ""
	req, err := http.NewRequestWithContext(resp.Request.Context(), http.MethodPatch, u.String(), bytes.NewReader(patch))
	if err != nil {
		return nil, fmt.Errorf("add owner to created %s %s: %w", wr.info.Resource, klog.KRef(wr.namespace, wr.name), err)
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("Accept", "application/json")
	status, body, err := p.do(req)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	if err != nil {
		return nil, fmt.Errorf("add owner to created %s %s: %w", wr.info.Resource, klog.KRef(wr.namespace, wr.name), err)
	}
	p.log.V(1).Info("Added owner to an object that a PUT or PATCH created", "resource", wr.info.Resource,
		"object", klog.KRef(wr.namespace, wr.name), wr.owner.Kind, klog.KRef(wr.owner.Namespace, wr.owner.Name))
	return body, nil
}

// report calls OnWrite; body is the JSON response, or nil.
func (p *Proxy) report(status int, wr *write, body []byte) {
	if p.onWrite == nil {
		return
	}
	w := Write{GroupVersionKind: wr.res.gvk, Namespace: wr.namespace, Name: wr.name, Verb: wr.verb,
		Created: status == http.StatusCreated}
	if body != nil {
		if _, rv, err := objectMeta(body); err == nil && wr.verb != "delete" {
			w.ResourceVersion = rv
		}
		if m, ok, err := markerOf(body, wr.owner); err == nil && ok {
			w.OwnedBy = m.by
		}
	}
	p.onWrite(wr.owner, w)
}
