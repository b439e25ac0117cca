package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestReadinessAndRunMetrics(t *testing.T) {
	metrics, health := freeAddr(t), freeAddr(t)
	op := startOperator(t, "--metrics-bind-address", metrics, "--health-probe-bind-address", health)
	testcluster.Eventually(t, 30*time.Second, "/readyz ready", func(context.Context) (bool, error) {
		code, body, err := get("http://" + health + "/readyz")
		return code == http.StatusOK, fmt.Errorf("%d %s %v", code, body, err)
	})
	op.createWidget("measured", nil)
	op.createWidget("failing", map[string]any{"fail_with": "on purpose"})
	op.waitCondition("measured", "Successful", "True", 60*time.Second)
	op.waitCondition("failing", "Failure", "True", 60*time.Second)

	_, body, err := get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`foreman_operator_ansible_runs_total{kind="Widget",result="succeeded"}`,
		`foreman_operator_ansible_runs_total{kind="Widget",result="failed"}`,
		`foreman_operator_ansible_run_duration_seconds_count{kind="Widget",result="succeeded"}`,
		`foreman_operator_ansible_runs_in_progress{kind="Widget"}`,
		`controller_runtime_reconcile_total{controller="widget-v1-controller"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestARunPastItsTimeoutIsStoppedAndNamed(t *testing.T) {
	// Long enough for the first task even on a loaded machine; the sleep is far longer.
	op := startOperator(t, "--run-timeout", "15s")
	op.createWidget("slow", map[string]any{"sleep_seconds": int64(600)})
	w := op.waitCondition("slow", "Failure", "True", 60*time.Second)
	c := condition(w, "Failure")
	msg := fmt.Sprint(c["message"])
	if c["reason"] != "Timeout" || !strings.Contains(msg, "Wait as long as the spec asks") {
		t.Errorf("Failure = %v, want reason Timeout naming the task that was running", c)
	}
	if r := condition(w, "Running"); r["status"] != "False" {
		t.Errorf("Running after a timeout = %v, want False", r)
	}
	// The next run goes normally once the spec no longer hangs.
	w.Object["spec"] = map[string]any{"sleep_seconds": int64(0)}
	if err := op.c.Update(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	op.waitCondition("slow", "Successful", "True", 60*time.Second)
}
