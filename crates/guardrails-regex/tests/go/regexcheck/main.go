// Command regexcheck is the Go side of guardrails-regex's differential tests.
//
// It reads one JSON value per line on stdin and writes one JSON object per line on stdout,
// starting with {"go": runtime.Version()}. JSON keeps patterns and tags byte-exact whatever
// they contain.
//
// Default mode: each line is a JSON string, a pattern; the answer is {"ok": true} or
// {"ok": false, "error": "<regexp.Compile error text>"} — the call image-reflector-controller
// makes on spec.filterTags.pattern.
//
// With -match: each line is a JSON array [pattern, tag...]; the answer adds "match", one
// '1' or '0' per tag: whether Go finds a match in the tag (the controller's unanchored
// FindStringSubmatchIndex(tag) != nil).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
)

type result struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Match string `json:"match,omitempty"`
}

func main() {
	match := flag.Bool("match", false, "lines are [pattern, tag...]; report which tags match")
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]string{"go": runtime.Version()}); err != nil {
		fail(err)
	}
	for in.Scan() {
		var pattern string
		var tags []string
		if *match {
			var line []string
			if err := json.Unmarshal(in.Bytes(), &line); err != nil || len(line) == 0 {
				fail(fmt.Errorf("bad input line %q: %v", in.Text(), err))
			}
			pattern, tags = line[0], line[1:]
		} else if err := json.Unmarshal(in.Bytes(), &pattern); err != nil {
			fail(fmt.Errorf("bad input line %q: %w", in.Text(), err))
		}
		r := result{OK: true}
		re, err := regexp.Compile(pattern)
		if err != nil {
			r = result{OK: false, Error: err.Error()}
		} else if *match {
			var b strings.Builder
			for _, tag := range tags {
				if re.FindStringSubmatchIndex(tag) != nil {
					b.WriteByte('1')
				} else {
					b.WriteByte('0')
				}
			}
			r.Match = b.String()
		}
		if err := enc.Encode(r); err != nil {
			fail(err)
		}
	}
	if err := in.Err(); err != nil {
		fail(err)
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "regexcheck:", err)
	os.Exit(2)
}
