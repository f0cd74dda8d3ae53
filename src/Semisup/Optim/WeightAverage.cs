using Semisup.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Optim;

/// <summary>An exponential moving average of a model's weights and batch-norm statistics (Polyak averaging with
/// Tarvainen and Valpola 2017's mean teacher's decay cap; buffers averaged too, as timm's ModelEma does). Validation,
/// the best checkpoint and the report use the average: it moves less from step to step than the trained weights,
/// whose last update carries the noise of one batch. It holds the trained model's tensors themselves (libtorch
/// updates them in place), so it must be made after anything that replaces them, such as moving the model to
/// another device.</summary>
public sealed class WeightAverage : IDisposable
{
    readonly (Tensor Average, Tensor Trained)[] pairs;
    readonly double decay;

    /// <summary>The averaged model, in evaluation mode.</summary>
    public Classifier Model { get; }

    /// <summary>Averages into <paramref name="average"/> from its present weights (a checkpoint's, when resuming).</summary>
    public WeightAverage(Classifier average, Classifier trained, double decay)
    {
        if (decay is <= 0 or >= 1) throw new SemisupException($"weight average decay {decay}: must be in (0, 1)");
        if (average.Signature() != trained.Signature()) throw new SemisupException("The weight average needs two models of the same architecture.");
        Model = average;
        this.decay = decay;
        var trainedState = trained.state_dict();
        pairs = average.state_dict().Select(kv => (kv.Value, trainedState[kv.Key])).ToArray();
        Model.eval();
    }

    /// <summary>A new average that starts at <paramref name="trained"/>'s weights (training's first update, with its decay
    /// capped at 0, sets them again; the copy makes the average right before any step too).</summary>
    public static WeightAverage Of(Classifier trained, Func<Classifier> build, double decay)
    {
        // Building draws initial weights from the global generator, which augmentation, noise and dropout also draw
        // from; restoring it keeps a run's training the same with averaging on or off.
        Classifier model;
        using (var rng = torch.random.get_rng_state())
        {
            model = build();
            torch.random.set_rng_state(rng);
        }
        try
        {
            var average = new WeightAverage(model, trained, decay);
            using var _ = no_grad();
            foreach (var (a, t) in average.pairs) a.copy_(t);
            return average;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Folds in the weights after training step <paramref name="step"/> (counting from 0). Early on the decay is
    /// capped at 1 − 1/(step + 1), so the average is the plain mean of the steps so far and forgets the random start.</summary>
    public void Update(long step)
    {
        double d = Math.Min(decay, 1.0 - 1.0 / (step + 1));
        using var _ = no_grad();
        foreach (var (average, trained) in pairs)
        {
            // a ← d·a + (1 − d)·θ. An averaged count means nothing (and an integer tensor would truncate it), so
            // counters such as BN's num_batches_tracked are copied.
            if (average.is_floating_point()) average.mul_(d).add_(trained, alpha: 1 - d);
            else average.copy_(trained);
        }
    }

    public void Dispose() => Model.Dispose();
}
