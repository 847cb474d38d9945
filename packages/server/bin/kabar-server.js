#!/usr/bin/env node
// The kabar-server command: runs the compiled CLI.
import "../dist/cli.js";
