package io.latefuse.testkit;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Runs a test class only where a Docker engine answers; elsewhere it is skipped and says why on the console. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresDocker.Condition.class)
public @interface RequiresDocker {

    final class Condition implements ExecutionCondition {
        private static volatile Boolean available;

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext ctx) {
            if (available == null) {
                boolean ok;
                try {
                    ok = DockerClientFactory.instance().isDockerAvailable();
                } catch (RuntimeException | LinkageError e) {
                    ok = false;
                }
                available = ok;
            }
            if (available) {
                return ConditionEvaluationResult.enabled("Docker engine found");
            }
            String reason = "SKIPPED " + ctx.getDisplayName()
                    + ": no Docker engine, so the Testcontainers variant cannot run here"
                    + " (the same scenarios ran on the embedded broker and registry)";
            if (ctx.getTestMethod().isEmpty()) {
                System.err.println(reason);
            }
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
