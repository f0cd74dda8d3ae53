using Semisup.Data;
using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>Mean cross-entropy and accuracy over a set.</summary>
public sealed record Score(double Loss, double Accuracy);

public static class Evaluator
{
    const string DifferentImages = "The ensemble's members were evaluated on different images or with different classes.";

    /// <summary>Loss, accuracy and predictions in evaluation mode: BN running statistics, no dropout, no noise.
    /// The model's training mode is restored afterwards.</summary>
    /// <param name="shifted">Average the probabilities over the image and its four one-pixel shifts
    /// (<see cref="Shifts"/>): test-time augmentation, reported beside the plain number, never instead of it.</param>
    public static Evaluation Evaluate(Classifier model, ImageSet set, int batchSize, bool shifted = false)
    {
        var predictions = new long[set.Count];
        var probabilities = new float[set.Count * model.Classes];
        var score = Run(model, set, batchSize, shifted, (start, logits, predicted) =>
        {
            predicted.data<long>().CopyTo(predictions, (int)start);
            functional.softmax(logits, 1).data<float>().CopyTo(probabilities, (int)(start * model.Classes));
        });
        return new Evaluation(score.Loss, score.Accuracy, predictions, probabilities);
    }

    /// <summary>Loss and accuracy alone, as <see cref="Evaluate"/> computes them. Training scores the validation set
    /// every epoch; the per-image arrays, large objects that only a full collection frees, would pile up over a
    /// long run.</summary>
    public static Score Score(Classifier model, ImageSet set, int batchSize) => Run(model, set, batchSize, false, null);

    /// <summary>One pass over <paramref name="set"/> in batches; <paramref name="eachBatch"/> sees each batch's first
    /// index, logits and predicted classes.</summary>
    static Score Run(Classifier model, ImageSet set, int batchSize, bool shifted, Action<long, Tensor, Tensor>? eachBatch) => InEvalMode(model, () =>
    {
        using var _ = no_grad();
        long n = set.Count;
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long end = Math.Min(n, start + batchSize);
            var images = set.Slice(start, end - start);
            // Log-probabilities are logits whose softmax is those probabilities, so the averaged views score as one.
            var logits = shifted ? stack(Shifts.Moves.Select(m => functional.softmax(model.call(Shifts.Moved(images, m)), 1))).mean([0]).log() : model.call(images);
            var labels = set.Labels.slice(0, start, end, 1);
            lossSum += functional.cross_entropy(logits, labels, reduction: Reduction.Sum).item<float>();
            var predicted = logits.argmax(1);
            correct += predicted.eq(labels).sum().item<long>();
            eachBatch?.Invoke(start, logits, predicted);
        }
        return new Score(lossSum / n, (double)correct / n);
    });

    /// <summary>Class probabilities ([n × classes], row-major) of images, in evaluation mode.</summary>
    public static float[] Probabilities(Classifier model, Tensor images, bool shifted = false) => InEvalMode(model, () =>
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = shifted ? stack(Shifts.Moves.Select(m => functional.softmax(model.call(Shifts.Moved(images, m)), 1))).mean([0])
            : functional.softmax(model.call(images), 1);
        return p.data<float>().ToArray();
    });

    /// <summary>Runs <paramref name="body"/> in evaluation mode and restores the model's mode afterwards, so that
    /// evaluating during training leaves training as it was.</summary>
    static T InEvalMode<T>(Classifier model, Func<T> body)
    {
        bool wasTraining = model.training;
        model.eval();
        try { return body(); }
        finally { model.train(wasTraining); }
    }

    /// <summary>The element-wise mean of equally long probability arrays: an ensemble's prediction.</summary>
    public static float[] Average(IReadOnlyList<float[]> probabilities)
    {
        if (probabilities.Count == 0) throw new SemisupException("An ensemble needs at least one member.");
        var mean = new float[probabilities[0].Length];
        foreach (var p in probabilities)
        {
            if (p.Length != mean.Length) throw new SemisupException(DifferentImages);
            for (int i = 0; i < mean.Length; i++) mean[i] += p[i] / probabilities.Count;
        }
        return mean;
    }

    /// <summary>The ensemble of models evaluated on the same images: their class probabilities averaged, its
    /// accuracy and cross-entropy against <paramref name="labels"/>.</summary>
    public static Evaluation Ensemble(IReadOnlyList<Evaluation> members, long[] labels)
    {
        var probabilities = Average(members.Select(m => m.Probabilities).ToList());
        int n = labels.Length, classes = probabilities.Length / Math.Max(1, n);
        if (members.Any(m => m.Count != n) || probabilities.Length != n * classes)
            throw new SemisupException(DifferentImages);
        var predictions = new long[n];
        double lossSum = 0;
        long correct = 0;
        for (int i = 0; i < n; i++)
        {
            var p = probabilities.AsSpan(i * classes, classes);
            for (int k = 1; k < classes; k++) if (p[k] > p[(int)predictions[i]]) predictions[i] = k;
            if (predictions[i] == labels[i]) correct++;
            // A probability every member gave as 0 underflowed in float; the smallest float keeps the loss finite.
            lossSum -= Math.Log(Math.Max(p[(int)labels[i]], float.Epsilon));
        }
        return new(lossSum / n, (double)correct / n, predictions, probabilities);
    }
}
