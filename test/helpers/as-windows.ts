/**
 * Loaded into a spawned udp-chat with `--import` (NODE_OPTIONS): process.platform reads win32, so
 * a test on Linux can see what the help says on Windows (Ctrl-Z Enter for end of input). Only
 * for text that reads the platform; nothing that opens sockets should run under it.
 */
Object.defineProperty(process, 'platform', { value: 'win32' });
