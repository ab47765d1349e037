package dev.modelhub.serving.grpc;

import dev.modelhub.security.Caller;
import dev.modelhub.security.ProtocolAccess;
import inference.GRPCInferenceServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

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

  private static final String INFER =
      GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName();

  private final ProtocolAccess access;
  private final Semaphore inferCalls;
  private final int maxInferCalls;

  CallerInterceptor(ProtocolAccess access, int maxInferCalls) {
    this.access = access;
    this.maxInferCalls = maxInferCalls;
    this.inferCalls = new Semaphore(maxInferCalls);
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
    if (!method.equals(INFER)) {
      return Contexts.interceptCall(
          Context.current().withValue(CALLER, caller), call, headers, next);
    }
    // A ModelInfer message may be as large as max-request-size: only so many are read at once,
    // the others are refused before a byte of theirs is taken from the connection.
    if (!inferCalls.tryAcquire()) {
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "More than "
                  + maxInferCalls
                  + " inference calls are running on this node"
                  + " (modelhub.serving.grpc.max-infer-calls); retry shortly."),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release =
        () -> {
          if (released.compareAndSet(false, true)) {
            inferCalls.release();
          }
        };
    ServerCall.Listener<Q> listener;
    try {
      listener =
          Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          release.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          release.run();
        }
      }
    };
  }

  private static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : String.valueOf(address);
  }
}
