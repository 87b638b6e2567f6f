package io.latefuse.training;

import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.health.ModalityHealth;

import java.util.ArrayList;
import java.util.List;

/**
 * The modality-health study (docs/EVALUATION.md): a synthetic DDSD stream in which one modality's model breaks
 * halfway, fused in event order three ways: every modality trusted ({@code off}), under {@code modality.health:
 * quarantine} with the join's own judgement ({@link ModalityHealth}, fed as the join feeds it), and without the
 * broken modality at all. Each event is fused with the modalities it has, as the stream fuses a complete event; the
 * join's timing is not modelled (the real-broker tests cover it).
 */
public final class HealthStudy {
    private HealthStudy() {}

    /** Accuracy over events {@code [from, to)}, each way. */
    public record Window(long from, long to, double off, double quarantine, double without, int quarantinedEvents) {}

    /**
     * @param detectedAt       the first event fused with the broken modality quarantined (from the break on); -1 if never
     * @param falseQuarantines quarantine episodes of a healthy modality, or of the broken one before its break
     * @param accuracyAfter    accuracy from {@code settle} events after the break to the end: off, quarantine, without
     */
    public record Result(List<Window> windows, long detectedAt, int falseQuarantines, double[] accuracyAfter,
                         List<String> episodes) {}

    /**
     * @param config  the pipeline, with its {@code modality.health} keys (its mode is taken as quarantine)
     * @param events  the stream, in order
     * @param broken  the modality that breaks (its index), or -1 for a healthy stream
     * @param breakAt the first broken event
     * @param window  events per reported window
     * @param settle  how many events after the break {@code accuracyAfter} starts
     */
    public static Result run(PipelineConfig config, FusionStrategy strategy, List<LabelledScores.Event> events,
                             int broken, long breakAt, int window, int settle) {
        ModalityHealth health = ModalityHealth.of(config, null);
        List<Window> windows = new ArrayList<>();
        long detectedAt = -1;
        int falseQuarantines = 0;
        List<String> episodes = new ArrayList<>();
        int[] correct = new int[3];
        int[] after = new int[3];
        int afterCount = 0;
        int quarantinedEvents = 0;
        long from = 0;
        for (int i = 0; i < events.size(); i++) {
            LabelledScores.Event e = events.get(i);
            double[][] calibrated = Evaluation.calibrated(config, e);
            long present = Evaluation.present(e);
            FusionInput all = Evaluation.input(e, calibrated, present, false);
            long q = health.quarantinedMask();
            long without = broken < 0 ? 0 : 1L << broken;
            int[] hit = {
                    hit(strategy, all, e.label()),
                    hit(strategy, Evaluation.input(e, calibrated, present & ~EventFusion.excluded(present, q), false), e.label()),
                    hit(strategy, Evaluation.input(e, calibrated, present & ~EventFusion.excluded(present, without), false),
                            e.label())};
            if (q != 0) {
                quarantinedEvents++;
            }
            for (int k = 0; k < 3; k++) {
                correct[k] += hit[k];
                if (i >= breakAt + settle) {
                    after[k] += hit[k];
                }
            }
            if (i >= breakAt + settle) {
                afterCount++;
            }
            health.observe(all, present);
            long now = health.quarantinedMask();
            long started = now & ~q;
            for (int m = 0; m < config.numModalities(); m++) {
                if ((started & (1L << m)) == 0) {
                    continue;
                }
                boolean genuine = m == broken && i >= breakAt;
                if (!genuine) {
                    falseQuarantines++;
                } else if (detectedAt < 0) {
                    detectedAt = i + 1;
                }
                episodes.add("event " + (i + 1) + ": " + config.modalityNames().get(m) + " quarantined ("
                        + (genuine ? "broken" : "healthy") + "): " + health.statuses().get(m).reason());
            }
            for (int m = 0; m < config.numModalities(); m++) {
                if ((q & ~now & (1L << m)) != 0) {
                    episodes.add("event " + (i + 1) + ": " + config.modalityNames().get(m) + " released");
                }
            }
            if (i + 1 - from == window || i == events.size() - 1) {
                int n = (int) (i + 1 - from);
                windows.add(new Window(from, i + 1, correct[0] / (double) n, correct[1] / (double) n,
                        correct[2] / (double) n, quarantinedEvents));
                correct = new int[3];
                quarantinedEvents = 0;
                from = i + 1;
            }
        }
        double[] accuracyAfter = new double[3];
        for (int k = 0; k < 3; k++) {
            accuracyAfter[k] = afterCount == 0 ? Double.NaN : after[k] / (double) afterCount;
        }
        return new Result(windows, detectedAt, falseQuarantines, accuracyAfter, episodes);
    }

    private static int hit(FusionStrategy strategy, FusionInput in, int label) {
        return strategy.fuse(in).argmax() == label ? 1 : 0;
    }
}
