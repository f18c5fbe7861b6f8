// A JSON-RPC error for a request handler to throw. The SDK's McpError puts "MCP error <code>: "
// into its own message, and the client's McpError adds it again on arrival, so a caller would
// read the prefix twice; this one carries the code and data with the message as written.
export const RESOURCE_NOT_FOUND = -32002;

export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}
