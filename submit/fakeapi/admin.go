package fakeapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// adminPrefix starts the admin routes (Config.Admin).
const adminPrefix = "/_fake/"

// AdminRequest is a recorded request as GET /_fake/requests shows it. It
// never holds the Authorization header's value: AuthSHA256 is its SHA-256
// (hex), so a test can check which key came without printing it, and
// AuthIsKey says whether it was exactly the fake's key, raw.
type AdminRequest struct {
	Kind             string            `json:"kind"`
	N                int               `json:"n"`
	Method           string            `json:"method"`
	Path             string            `json:"path"`
	Query            string            `json:"query"`
	Headers          map[string]string `json:"headers"` // Content-Type, Accept, Expect, User-Agent
	AuthPresent      bool              `json:"auth_present"`
	AuthSHA256       string            `json:"auth_sha256,omitempty"`
	AuthIsKey        *bool             `json:"auth_is_key,omitempty"` // nil when the fake takes any key
	AuthBearer       bool              `json:"auth_bearer"`
	ContentLength    int64             `json:"content_length"`
	TransferEncoding []string          `json:"transfer_encoding"`
	BodyRead         int64             `json:"body_read"`
	Fields           map[string]string `json:"fields"`
	FieldOrder       []string          `json:"field_order"`
	FileParts        int               `json:"file_parts"`
	FileName         string            `json:"file_name"`
	FileContentType  string            `json:"file_content_type"`
	FileSize         int64             `json:"file_size"`
	FileSHA256       string            `json:"file_sha256"`
	Fault            string            `json:"fault"`
	Status           int               `json:"status"`
	Error            string            `json:"error,omitempty"`
	BatchID          string            `json:"batch_id,omitempty"`
}

// AdminJob is a job as GET /_fake/jobs shows it: a Job with JSON names.
type AdminJob struct {
	BatchID     string            `json:"batch_id"`
	AccountID   string            `json:"account_id"`
	EndpointID  string            `json:"endpoint_id"`
	Task        string            `json:"task"`
	Fields      map[string]string `json:"fields"`
	Created     time.Time         `json:"created"`
	Polls       int               `json:"polls"`
	FailStatus  string            `json:"fail_status,omitempty"`
	ContentType string            `json:"content_type"`
	Body        string            `json:"body"`
}

var adminHeaders = []string{"Content-Type", "Accept", "Expect", "User-Agent"}

// adminRequest is what GET /_fake/requests shows of r.
func (s *Server) adminRequest(r Request) AdminRequest {
	a := AdminRequest{
		Kind: r.Kind, N: r.N, Method: r.Method, Path: r.Path, Query: r.RawQuery,
		Headers:       map[string]string{},
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, BodyRead: r.BodyRead,
		Fields: r.Fields, FieldOrder: r.FieldOrder, FileParts: r.FileParts,
		FileName: r.FileName, FileContentType: r.FileContentType, FileSize: r.FileSize, FileSHA256: r.FileSHA256,
		Fault: string(r.Fault), Status: r.Status, Error: r.Error, BatchID: r.BatchID,
	}
	for _, h := range adminHeaders {
		if v := r.Header.Get(h); v != "" {
			a.Headers[h] = v
		}
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		sum := sha256.Sum256([]byte(auth))
		a.AuthPresent, a.AuthSHA256 = true, hex.EncodeToString(sum[:])
		a.AuthBearer = strings.HasPrefix(auth, "Bearer ")
		if s.cfg.APIKey != "" {
			is := auth == s.cfg.APIKey
			a.AuthIsKey = &is
		}
		// A refused key is echoed in the error, as real services do.
		a.Error = strings.ReplaceAll(a.Error, auth, "[redacted]")
	}
	return a
}

func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		w.Write([]byte(`{"error":"GET only"}` + "\n"))
		return
	}
	var v any
	switch strings.TrimPrefix(r.URL.Path, adminPrefix) {
	case "requests":
		reqs := s.Requests()
		out := make([]AdminRequest, len(reqs))
		for i, rq := range reqs {
			out[i] = s.adminRequest(rq)
		}
		v = out
	case "jobs":
		jobs := s.Jobs()
		slices.SortFunc(jobs, func(a, b Job) int { return a.Created.Compare(b.Created) })
		out := make([]AdminJob, len(jobs))
		for i, j := range jobs {
			out[i] = AdminJob(j)
		}
		v = out
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"admin routes: GET /_fake/requests, GET /_fake/jobs"}` + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(mustJSON(v) + "\n"))
}
