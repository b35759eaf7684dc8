import { describe, expect, it } from "vitest";
import { serverMessage } from "../../../../plugins/fileserver/http-client.js";

describe("serverMessage", () => {
  it("reduces nginx's error page to its distinct text", () => {
    const page = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    expect(serverMessage(page, "text/html")).toBe("413 Request Entity Too Large — nginx/1.22.1");
  });

  it("keeps plain text as it is, on one line and short", () => {
    expect(serverMessage("quota exceeded\nfor user files\n", "text/plain")).toBe("quota exceeded for user files");
    expect(serverMessage("x".repeat(500), undefined)).toHaveLength(301);
  });
});
