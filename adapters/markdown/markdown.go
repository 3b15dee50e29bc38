// Package markdown is the sink that writes a proposal as files: the post
// and its appendix in Markdown and the charts beside them, in a directory
// of their own per cycle (<dir>/<cycle-id>/), for a steward to paste
// into a forum or commit to a repository.
//
// Config (its entry of sinks):
//
//	sinks:
//	  - type: markdown
//	    dir: proposals        # relative to the config file's directory
//
// Each file is written atomically (a reader sees the old bytes or the
// new, never a part), as the other file sinks write them
// (adapters/internal/outfile). post.md ends with the publication's key
// in an HTML comment, by which Find recognises an earlier publication.
package markdown

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/internal/outfile"
)

// Type is the sink's type name in the config.
const Type = "markdown"

// The files a publication is written to, beside its charts.
const (
	PostFile     = "post.md"
	AppendixFile = "appendix.md"
)

func init() { adapters.RegisterSink(Type, func() adapters.SinkConfig { return &Config{} }) }

// Config is the markdown sink's section.
type Config struct {
	// Dir is the directory each cycle's files go under, in a directory
	// named by the cycle id; relative to the config file's directory.
	Dir string `yaml:"dir"`
}

// Check reports an empty dir.
func (c *Config) Check() []adapters.FieldError {
	if strings.TrimSpace(c.Dir) == "" {
		return []adapters.FieldError{{Field: "dir", Msg: "is empty; give the directory the posts go under, e.g. dir: proposals"}}
	}
	return nil
}

// NewSink returns the sink writing under c.Dir.
func (c *Config) NewSink(env adapters.Env) (adapters.Sink, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, errs[0]
	}
	return &Sink{dir: c.Dir, env: env}, nil
}

// Sink writes publications as files.
type Sink struct {
	dir string
	env adapters.Env
}

// file is one file of a publication.
type file struct {
	outfile.File
	contentType string
}

// files are what p is written as, the post last (its key marks the
// publication whole), and the directory they go to.
func (s *Sink) files(p *adapters.Publication) (string, []file, error) {
	if p.Proposal == nil {
		return "", nil, adapters.NotSent(errors.New("markdown: the publication has no proposal"))
	}
	dir, err := outfile.Dir(s.env, s.dir, p.CycleID)
	if err != nil {
		return "", nil, adapters.NotSent(fmt.Errorf("markdown: %w", err))
	}
	out := []file{{outfile.File{Name: AppendixFile, Data: []byte(p.Proposal.Appendix)}, "text/markdown; charset=utf-8"}}
	seen := map[string]bool{PostFile: true, AppendixFile: true}
	for _, f := range p.Files {
		if f.Name == "" || f.Name == "." || f.Name == ".." || strings.ContainsAny(f.Name, `/\`+"\x00") || seen[f.Name] {
			return "", nil, adapters.NotSent(fmt.Errorf("markdown: attachment %q is not a plain file name, or is named twice or like the post or appendix", f.Name))
		}
		seen[f.Name] = true
		out = append(out, file{outfile.File{Name: f.Name, Data: f.Data}, f.ContentType})
	}
	post := strings.TrimRight(p.Proposal.Post, "\n") + "\n\n" + p.Marker() + "\n"
	return dir, append(out, file{outfile.File{Name: PostFile, Data: []byte(post)}, "text/markdown; charset=utf-8"}), nil
}

// Publish writes p's files under <dir>/<cycle-id>/, each atomically, and
// lists them in the receipt, whose ID is that directory.
func (s *Sink) Publish(ctx context.Context, p *adapters.Publication) (adapters.Receipt, error) {
	dir, files, err := s.files(p)
	if err != nil {
		return adapters.Receipt{}, err
	}
	plain := make([]outfile.File, len(files))
	for i, f := range files {
		plain[i] = f.File
	}
	paths, err := outfile.Write(ctx, dir, plain)
	if err != nil {
		return adapters.Receipt{}, fmt.Errorf("markdown: %w", err)
	}
	s.env.Log().Info("published", "sink", Type, "dir", dir, "files", len(paths))
	return adapters.Receipt{ID: dir, Files: paths}, nil
}

// Preview lists the files Publish would write.
func (s *Sink) Preview(_ context.Context, p *adapters.Publication) ([]adapters.Outgoing, error) {
	dir, files, err := s.files(p)
	if err != nil {
		return nil, err
	}
	out := make([]adapters.Outgoing, len(files))
	for i, f := range files {
		out[i] = adapters.Outgoing{Target: filepath.Join(dir, f.Name), ContentType: f.contentType, Body: f.Data}
	}
	return out, nil
}

// Find reports the files of an earlier publication of p: found when
// post.md, which is written last, carries p's key.
func (s *Sink) Find(_ context.Context, p *adapters.Publication) (adapters.Receipt, bool, error) {
	dir, files, err := s.files(p)
	if err != nil {
		return adapters.Receipt{}, false, err
	}
	post, _, found, err := outfile.Read(s.env, s.dir, p.CycleID, PostFile)
	if err != nil {
		return adapters.Receipt{}, false, fmt.Errorf("markdown: %w", err)
	}
	if !found || !strings.Contains(string(post), p.Marker()) {
		return adapters.Receipt{}, false, nil
	}
	r := adapters.Receipt{ID: dir}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err == nil {
			r.Files = append(r.Files, filepath.Join(dir, f.Name))
		}
	}
	return r, true, nil
}
