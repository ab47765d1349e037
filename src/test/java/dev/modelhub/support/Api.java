package dev.modelhub.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** A small HTTP client for the tests, on the JDK's HttpClient so bodies are really streamed. */
public final class Api {

  private final String base;
  private final ObjectMapper json;
  private final String authorization;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** A client of the node on {@code port} that sends the run's admin key. */
  public Api(int port, ObjectMapper json) {
    this("http://127.0.0.1:" + port, json, "Bearer " + TestSecrets.adminKey());
  }

  private Api(String base, ObjectMapper json, String authorization) {
    this.base = base;
    this.json = json;
    this.authorization = authorization;
  }

  /** The same node, with {@code key} (an API key or JWT) as the credential. */
  public Api as(String key) {
    return new Api(base, json, "Bearer " + key);
  }

  /** The same node, without credentials. */
  public Api anonymous() {
    return new Api(base, json, null);
  }

  /** The same node, with a raw Authorization header value (for malformed ones). */
  public Api withAuthorization(String value) {
    return new Api(base, json, value);
  }

  public String base() {
    return base;
  }

  /** A response, its body read fully. */
  public record Response(int status, HttpHeaders headers, byte[] body, ObjectMapper mapper) {
    public JsonNode json() {
      return mapper.readTree(body);
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + text();
    }
  }

  public Response get(String path, String... headers) {
    return send(request(path, headers).GET());
  }

  public Response delete(String path) {
    return send(request(path).DELETE());
  }

  public Response postJson(String path, Object body) {
    return sendJson("POST", path, body);
  }

  public Response putJson(String path, Object body) {
    return sendJson("PUT", path, body);
  }

  public Response patchJson(String path, Object body) {
    return sendJson("PATCH", path, body);
  }

  /** Sends {@code body} as-is with {@code contentType}: for malformed-JSON cases. */
  public Response sendRaw(String method, String path, String contentType, byte[] body) {
    return send(
        request(path, "Content-Type", contentType)
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Posts {@code body} as-is with extra headers (name, value, …): binary inference bodies. */
  public Response post(String path, byte[] body, String... headers) {
    return send(request(path, headers).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Registers a version from an octet-stream body. */
  public Response upload(String model, byte[] artifact, String query) {
    return send(
        request(
                "/api/v1/models/" + model + "/versions" + (query == null ? "" : "?" + query),
                "Content-Type",
                "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(artifact)));
  }

  /** Registers a version from a multipart body with a file part and an optional metadata part. */
  public Response uploadMultipart(String model, byte[] artifact, String filename, String metadata) {
    List<Part> parts = new ArrayList<>();
    if (metadata != null) {
      parts.add(
          new Part(
              "metadata", null, "application/json", metadata.getBytes(StandardCharsets.UTF_8)));
    }
    parts.add(new Part("file", filename, "application/octet-stream", artifact));
    return multipart("/api/v1/models/" + model + "/versions", parts);
  }

  /** One part of a multipart/form-data body ({@code filename} null for a plain field). */
  public record Part(String name, String filename, String contentType, byte[] content) {}

  /** Posts a multipart/form-data body of {@code parts}. */
  public Response multipart(String path, List<Part> parts) {
    String boundary = "----modelhub" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Part part : parts) {
      write(body, "--" + boundary + "\r\n");
      write(
          body,
          "Content-Disposition: form-data; name=\""
              + part.name()
              + "\""
              + (part.filename() == null ? "" : "; filename=\"" + part.filename() + "\"")
              + "\r\n");
      write(body, "Content-Type: " + part.contentType() + "\r\n\r\n");
      body.writeBytes(part.content());
      write(body, "\r\n");
    }
    write(body, "--" + boundary + "--\r\n");
    return send(
        request(path, "Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  public Response send(HttpRequest.Builder builder) {
    try {
      HttpRequest request = builder.build();
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      String created = createdKey(request, response);
      if (!response.headers().firstValue("Content-Type").orElse("").contains("octet-stream")) {
        SecretScan.checkResponse(
            request.method() + " " + request.uri().getPath(), response.body(), created);
      }
      SecretScan.register(created);
      return new Response(response.statusCode(), response.headers(), response.body(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5));
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    if (headers.length > 0) {
      builder.headers(headers);
    }
    return builder;
  }

  /** The raw key in the answer to a key creation: shown there once, a secret from then on. */
  private String createdKey(HttpRequest request, HttpResponse<byte[]> response) {
    if (!request.method().equals("POST")
        || !request.uri().getPath().equals("/api/v1/keys")
        || response.statusCode() != 201) {
      return null;
    }
    return json.readTree(response.body()).path("key").asString(null);
  }

  private Response sendJson(String method, String path, Object body) {
    byte[] bytes =
        body instanceof String s
            ? s.getBytes(StandardCharsets.UTF_8)
            : json.writeValueAsBytes(body);
    return send(
        request(path, "Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes)));
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }
}
