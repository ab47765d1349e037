package dev.modelhub.common;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.MethodParameter;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * Inference clients read errors from an {@code "error"} member: the Open Inference Protocol's
 * {@code {"error": "…"}} (tritonclient, KServe's clients) and TF Serving's. Problems answered on
 * {@code /v2/**} and {@code /v1/**} carry it next to the RFC 9457 fields, holding the detail.
 */
@RestControllerAdvice
public class ProtocolErrors implements ResponseBodyAdvice<Object> {

  /** The member stock inference clients read. */
  public static final String MEMBER = "error";

  /**
   * Whether {@code request} (or, on the error page, the request that failed) is an inference one.
   */
  public static boolean inferencePath(HttpServletRequest request) {
    Object failed = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    String path = failed != null ? failed.toString() : request.getRequestURI();
    String context = request.getContextPath();
    if (context != null && !context.isEmpty() && path.startsWith(context)) {
      path = path.substring(context.length());
    }
    return path.equals("/v2") || path.startsWith("/v2/") || path.startsWith("/v1/");
  }

  /** Adds the member to {@code problem} when it answers an inference request. */
  public static void decorate(ProblemDetail problem, HttpServletRequest request) {
    if (inferencePath(request)) {
      problem.setProperty(MEMBER, message(problem.getDetail(), problem.getTitle()));
    }
  }

  /** The member's text: the problem's detail, or its title when it has none. */
  public static String message(String detail, String title) {
    return detail != null ? detail : title != null ? title : "error";
  }

  @Override
  public boolean supports(
      MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
    return true;
  }

  @Override
  public Object beforeBodyWrite(
      Object body,
      MethodParameter returnType,
      MediaType contentType,
      Class<? extends HttpMessageConverter<?>> converterType,
      ServerHttpRequest request,
      ServerHttpResponse response) {
    if (body instanceof ProblemDetail problem
        && request instanceof ServletServerHttpRequest servlet) {
      decorate(problem, servlet.getServletRequest());
    }
    return body;
  }
}
