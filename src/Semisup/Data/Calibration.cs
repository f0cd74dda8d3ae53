namespace Semisup.Data;

/// <summary>One bin of a reliability diagram: the predictions whose confidence (top probability) falls in
/// (Lower, Upper], their mean confidence and their accuracy.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double Confidence, double Accuracy);

/// <summary>How calibrated a set's probabilities are without the temperature (raw) and with it: the expected
/// calibration error, the mean negative log-likelihood and the reliability bins of each.</summary>
public sealed record CalibrationCheck(int Count, double RawError, double Error, double RawLoss, double Loss,
    IReadOnlyList<ReliabilityBin> RawBins, IReadOnlyList<ReliabilityBin> Bins);

/// <summary>How far predicted probabilities are from observed frequencies (Guo et al. 2017, "On Calibration of
/// Modern Neural Networks"): the expected calibration error over equal-width confidence bins, and temperature
/// scaling, one scalar T fitted on held-out logits so that softmax(z / T) minimises their negative log-likelihood.
/// T moves no argmax, so accuracy is unchanged.</summary>
public static class Calibration
{
    /// <summary>Guo et al.'s bin count.</summary>
    public const int Bins = 15;

    /// <summary>Temperatures are searched in [1/MaxInverse, 1/MinInverse]: far beyond any network's miscalibration.</summary>
    const double MinInverse = 0.01, MaxInverse = 100;

    /// <param name="probabilities">N×C, row-major.</param>
    public static ReliabilityBin[] Reliability(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<long> labels, int bins = Bins)
    {
        int n = labels.Length;
        if (probabilities.Length != n * classes) throw new ArgumentException($"{probabilities.Length} probabilities for {n} labels of {classes} classes");
        var count = new int[bins];
        var confidence = new double[bins];
        var correct = new double[bins];
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            int top = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[top]) top = c;
            // Bins are (k/B, (k+1)/B]; a confidence of exactly 0 cannot occur for a softmax, so it joins bin 0.
            int b = Math.Clamp((int)Math.Ceiling(row[top] * bins) - 1, 0, bins - 1);
            count[b]++;
            confidence[b] += row[top];
            if (top == labels[i]) correct[b]++;
        }
        return [.. Enumerable.Range(0, bins).Select(b => new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b],
            count[b] == 0 ? 0 : confidence[b] / count[b], count[b] == 0 ? 0 : correct[b] / count[b]))];
    }

    /// <summary>ECE = Σ_b (n_b / N)·|accuracy_b − confidence_b|.</summary>
    public static double ExpectedError(IReadOnlyList<ReliabilityBin> bins)
    {
        double n = bins.Sum(b => b.Count);
        return n == 0 ? 0 : bins.Sum(b => b.Count / n * Math.Abs(b.Accuracy - b.Confidence));
    }

    public static double ExpectedError(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<long> labels) =>
        ExpectedError(Reliability(probabilities, classes, labels));

    /// <summary>Mean −log softmax(β·z)[y] over the rows, in float64.</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> labels, double inverseTemperature)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var z in row) max = Math.Max(max, inverseTemperature * z);
            double exp = 0;
            foreach (var z in row) exp += Math.Exp(inverseTemperature * z - max);
            sum += max + Math.Log(exp) - inverseTemperature * row[(int)labels[i]];
        }
        return sum / labels.Length;
    }

    /// <summary>The temperature T minimising the NLL of softmax(z / T). The NLL is convex in β = 1/T (a log-sum-exp
    /// of functions linear in β, minus one), so a golden-section search over log β finds its one minimum.</summary>
    public static double FitTemperature(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> labels)
    {
        if (labels.Length == 0 || logits.Length != labels.Length * classes)
            throw new ArgumentException($"{logits.Length} logits for {labels.Length} labels of {classes} classes");
        double phi = (Math.Sqrt(5) - 1) / 2, lo = Math.Log(MinInverse), hi = Math.Log(MaxInverse);
        var z = logits.ToArray();
        var y = labels.ToArray();
        double F(double logBeta) => NegativeLogLikelihood(z, classes, y, Math.Exp(logBeta));
        double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo), fa = F(a), fb = F(b);
        while (hi - lo > 1e-6)
        {
            if (fa <= fb) { hi = b; b = a; fb = fa; a = hi - phi * (hi - lo); fa = F(a); }
            else { lo = a; a = b; fa = fb; b = lo + phi * (hi - lo); fb = F(b); }
        }
        return 1 / Math.Exp((lo + hi) / 2);
    }

    /// <summary>softmax(z / T) of each row, in float64, rounded to float.</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits, int classes, double temperature)
    {
        var p = new float[logits.Length];
        var e = new double[classes];
        for (int i = 0; i < logits.Length / classes; i++)
        {
            var row = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var z in row) max = Math.Max(max, z / temperature);
            for (int k = 0; k < classes; k++) sum += e[k] = Math.Exp(row[k] / temperature - max);
            for (int k = 0; k < classes; k++) p[i * classes + k] = (float)(e[k] / sum);
        }
        return p;
    }

    /// <summary>The calibration of logits before and after dividing them by <paramref name="temperature"/>.</summary>
    public static CalibrationCheck Check(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<long> labels, double temperature) =>
        Check(Softmax(logits, classes, 1), Softmax(logits, classes, temperature), classes, labels,
            NegativeLogLikelihood(logits, classes, labels, 1), NegativeLogLikelihood(logits, classes, labels, 1 / temperature));

    /// <summary>The calibration of a set's probabilities without and with the temperature, whose losses are given.</summary>
    public static CalibrationCheck Check(ReadOnlySpan<float> raw, ReadOnlySpan<float> calibrated, int classes, ReadOnlySpan<long> labels, double rawLoss, double loss)
    {
        var rawBins = Reliability(raw, classes, labels);
        var bins = Reliability(calibrated, classes, labels);
        return new(labels.Length, ExpectedError(rawBins), ExpectedError(bins), rawLoss, loss, rawBins, bins);
    }
}
