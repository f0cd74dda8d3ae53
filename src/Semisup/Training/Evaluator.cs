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

    /// <summary>Loss, accuracy, predictions, probabilities and calibration error in evaluation mode: BN running
    /// statistics, no dropout, no noise. The model's training mode is restored afterwards. The probabilities and the
    /// loss are of the logits divided by the model's <see cref="Classifier.Temperature"/>, unless <paramref name="raw"/>;
    /// with a temperature, <see cref="Evaluation.Raw"/> holds them without it. The predictions are the largest raw
    /// logit's class either way, so the temperature cannot change the accuracy, not even by a tie that dividing rounds to.</summary>
    /// <param name="shifted">Average the probabilities over the image and its four one-pixel shifts
    /// (<see cref="Shifts"/>): test-time augmentation, reported beside the plain number, never instead of it.</param>
    public static Evaluation Evaluate(Classifier model, ImageSet set, int batchSize, bool shifted = false, bool raw = false)
    {
        int classes = model.Classes;
        double? temperature = raw ? null : model.Temperature;
        var predictions = new long[set.Count];
        var probabilities = new float[set.Count * classes];
        var rawProbabilities = temperature != null ? new float[set.Count * classes] : null;
        var pass = Run(model, set, batchSize, shifted, temperature, (start, rawScores, scores, predicted) =>
        {
            predicted.data<long>().CopyTo(predictions, (int)start);
            functional.softmax(scores, 1).data<float>().CopyTo(probabilities, (int)(start * classes));
            if (rawProbabilities != null) functional.softmax(rawScores, 1).data<float>().CopyTo(rawProbabilities, (int)(start * classes));
        });
        var labels = set.Labels.data<long>().ToArray();
        Evaluation Of(double loss, float[] p) => new(loss, pass.Accuracy, predictions, p) { ExpectedError = Calibration.ExpectedError(p, classes, labels) };
        var evaluation = Of(pass.Loss, probabilities);
        return rawProbabilities == null ? evaluation : evaluation with { Temperature = temperature, Raw = Of(pass.RawLoss, rawProbabilities) };
    }

    /// <summary>Loss and accuracy alone, as <see cref="Evaluate"/> computes them. Training scores the validation set
    /// every epoch; the per-image arrays, large objects that only a full collection frees, would pile up over a
    /// long run.</summary>
    public static Score Score(Classifier model, ImageSet set, int batchSize)
    {
        var pass = Run(model, set, batchSize, false, model.Temperature, null);
        return new Score(pass.Loss, pass.Accuracy);
    }

    /// <summary>The raw logits ([n × classes], row-major) of a set in evaluation mode: what a temperature is fitted to.</summary>
    public static float[] Logits(Classifier model, ImageSet set, int batchSize)
    {
        var logits = new float[set.Count * model.Classes];
        Run(model, set, batchSize, false, null, (start, rawScores, _, _) => rawScores.data<float>().CopyTo(logits, (int)(start * model.Classes)));
        return logits;
    }

    /// <summary>A pass's mean losses, with the temperature and without, and its accuracy.</summary>
    readonly record struct Pass(double Loss, double RawLoss, double Accuracy);

    /// <summary>One pass over <paramref name="set"/> in batches; <paramref name="eachBatch"/> sees each batch's first
    /// index, raw scores, scores with <paramref name="temperature"/> (the same tensor without one) and predicted classes.</summary>
    static Pass Run(Classifier model, ImageSet set, int batchSize, bool shifted, double? temperature, Action<long, Tensor, Tensor, Tensor>? eachBatch) => InEvalMode(model, () =>
    {
        using var _ = no_grad();
        long n = set.Count;
        double lossSum = 0, rawLossSum = 0;
        long correct = 0;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long end = Math.Min(n, start + batchSize);
            var outputs = Outputs(model, set.Slice(start, end - start), shifted);
            var rawScores = Scores(outputs, shifted, null);
            var scores = temperature != null ? Scores(outputs, shifted, temperature) : rawScores;
            var labels = set.Labels.slice(0, start, end, 1);
            lossSum += functional.cross_entropy(scores, labels, reduction: Reduction.Sum).item<float>();
            rawLossSum += temperature == null ? 0 : functional.cross_entropy(rawScores, labels, reduction: Reduction.Sum).item<float>();
            var predicted = rawScores.argmax(1);
            correct += predicted.eq(labels).sum().item<long>();
            eachBatch?.Invoke(start, rawScores, scores, predicted);
        }
        return new Pass(lossSum / n, temperature == null ? lossSum / n : rawLossSum / n, (double)correct / n);
    });

    /// <summary>The network's logits of the images, or of each of their shifted views.</summary>
    static Tensor[] Outputs(Classifier model, Tensor images, bool shifted) =>
        shifted ? [.. Shifts.Moves.Select(m => model.call(Shifts.Moved(images, m)))] : [model.call(images)];

    /// <summary>Logits whose softmax is the answer: the network's divided by the temperature (Guo et al. 2017), the one
    /// place scoring applies it; with shifts, the log of the views' mean probabilities, so they score as one.</summary>
    static Tensor Scores(Tensor[] outputs, bool shifted, double? temperature) =>
        shifted ? MeanProbabilities(outputs, temperature).log() : Divided(outputs[0], temperature);

    static Tensor Divided(Tensor logits, double? temperature) => temperature is { } t ? logits / t : logits;

    static Tensor MeanProbabilities(Tensor[] outputs, double? temperature) =>
        stack(outputs.Select(z => functional.softmax(Divided(z, temperature), 1))).mean([0]);

    /// <summary>Class probabilities ([n × classes], row-major) of images, in evaluation mode, with the model's
    /// temperature unless <paramref name="raw"/>.</summary>
    public static float[] Probabilities(Classifier model, Tensor images, bool shifted = false, bool raw = false) => InEvalMode(model, () =>
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var outputs = Outputs(model, images, shifted);
        var t = raw ? null : model.Temperature;
        var p = shifted ? MeanProbabilities(outputs, t) : functional.softmax(Divided(outputs[0], t), 1);
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
        return new(lossSum / n, (double)correct / n, predictions, probabilities) { ExpectedError = Calibration.ExpectedError(probabilities, classes, labels) };
    }
}
