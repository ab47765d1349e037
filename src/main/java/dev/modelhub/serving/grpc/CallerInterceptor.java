package dev.modelhub.serving.grpc;

import dev.modelhub.security.Caller;
import dev.modelhub.security.ProtocolAccess;
import inference.GRPCInferenceServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;

/**
 * Authenticates each call from its {@code authorization: Bearer <key>} metadata, as HTTP does from
 * the header, and puts the caller in the call's context; liveness and readiness need no key, like
 * {@code /v2/health/*}.
 */
final class CallerInterceptor implements ServerInterceptor {

  static final Context.Key<Caller> CALLER = Context.key("modelhub-caller");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static final Set<String> PUBLIC =
      Set.of(
          GRPCInferenceServiceGrpc.getServerLiveMethod().getFullMethodName(),
          GRPCInferenceServiceGrpc.getServerReadyMethod().getFullMethodName());

  private final ProtocolAccess access;

  CallerInterceptor(ProtocolAccess access) {
    this.access = access;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (PUBLIC.contains(method)) {
      return next.startCall(call, headers);
    }
    Caller caller;
    try {
      caller =
          access.authenticate(
              headers.get(AUTHORIZATION),
              address(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)),
              "gRPC " + call.getMethodDescriptor().getBareMethodName());
    } catch (ProtocolAccess.Refused refused) {
      var status = GrpcStatuses.of(refused, method);
      call.close(status.getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
  }

  private static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : String.valueOf(address);
  }
}
