package dev.modelhub.serving.grpc;

import dev.modelhub.common.ModelhubException;
import dev.modelhub.security.ProtocolAccess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors as gRPC statuses, with the same words as the HTTP problems: a client's mistake says what
 * to fix; a server fault only that something failed and a reference to quote (the log has the
 * rest).
 */
final class GrpcStatuses {

  private static final Logger log = LoggerFactory.getLogger(GrpcStatuses.class);

  private GrpcStatuses() {}

  static StatusRuntimeException of(Throwable error, String method) {
    if (error instanceof StatusRuntimeException status) {
      return status;
    }
    if (error instanceof ProtocolAccess.Refused refused) {
      Status status =
          switch (refused.refusal()) {
            case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
            case FORBIDDEN -> Status.PERMISSION_DENIED;
            case THROTTLED -> Status.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
          };
      return status.withDescription(refused.getMessage()).asRuntimeException();
    }
    if (error instanceof ModelhubException modelhub) {
      int code = modelhub.getStatusCode().value();
      Status status =
          switch (code) {
            case 400, 422 -> Status.INVALID_ARGUMENT;
            case 404 -> Status.NOT_FOUND;
            case 409 -> Status.FAILED_PRECONDITION;
            case 413, 429 -> Status.RESOURCE_EXHAUSTED;
            case 503 -> Status.UNAVAILABLE;
            case 504 -> Status.DEADLINE_EXCEEDED;
            default -> Status.INTERNAL;
          };
      if (code < 500 || modelhub.detailIsForClients()) {
        return status.withDescription(modelhub.getBody().getDetail()).asRuntimeException();
      }
      return internal(status, error, method);
    }
    return internal(Status.INTERNAL, error, method);
  }

  private static StatusRuntimeException internal(Status status, Throwable error, String method) {
    String reference = UUID.randomUUID().toString();
    log.error("gRPC {} failed, reference {}", method, reference, error);
    return status
        .withDescription(
            "The server could not complete the call; quote reference "
                + reference
                + " if it keeps failing.")
        .asRuntimeException();
  }
}
