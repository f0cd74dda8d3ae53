using Semisup.Data;

namespace Semisup.Tests.Data;

public class CalibrationTests
{
    [Fact]
    public void Expected_error_matches_a_hand_computation()
    {
        // Three predictions, two classes: confidences 0.9 (right), 0.9 (wrong), 0.6 (right).
        float[] p = [0.9f, 0.1f, 0.1f, 0.9f, 0.4f, 0.6f];
        long[] y = [0, 0, 1];
        var bins = Calibration.Reliability(p, 2, y);
        Assert.Equal(15, bins.Length);
        // 0.9 is in (13/15, 14/15]; 0.6 in (8/15, 9/15].
        Assert.Equal((2, 0.5), (bins[13].Count, bins[13].Accuracy));
        Assert.Equal((1, 1.0), (bins[8].Count, bins[8].Accuracy));
        // ECE = 2/3·|0.5 − 0.9| + 1/3·|1 − 0.6| = 0.4.
        Assert.Equal(0.4, Calibration.ExpectedError(bins), 6);
        Assert.Equal(1, Calibration.Reliability([1f, 0f], 2, [0])[14].Count);
    }

    [Fact]
    public void Negative_log_likelihood_matches_a_hand_computation()
    {
        // softmax([0, ln 3]) = [1/4, 3/4]; at β = 2, softmax([0, 2 ln 3]) = [1/10, 9/10].
        float[] z = [0f, (float)Math.Log(3)];
        Assert.Equal(-Math.Log(0.75), Calibration.NegativeLogLikelihood(z, 2, [1], 1), 6);
        Assert.Equal(-Math.Log(0.1), Calibration.NegativeLogLikelihood(z, 2, [0], 2), 6);
    }

    [Fact]
    public void Softmax_with_a_temperature_and_the_check_match_a_hand_computation()
    {
        // softmax([0, ln 3]) = [1/4, 3/4]; divided by T = 1/2, softmax([0, 2 ln 3]) = [1/10, 9/10].
        float[] z = [0f, (float)Math.Log(3), (float)Math.Log(3), 0f];
        Assert.Equal([0.25f, 0.75f, 0.75f, 0.25f], Calibration.Softmax(z, 2, 1), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([0.1f, 0.9f, 0.9f, 0.1f], Calibration.Softmax(z, 2, 0.5), (a, b) => Math.Abs(a - b) < 1e-6);
        // Both right at 0.75 raw (ECE 0.25), at 0.9 with T = 1/2 (ECE 0.1).
        var check = Calibration.Check(z, 2, [1, 0], 0.5);
        Assert.Equal(2, check.Count);
        Assert.Equal(0.25, check.RawError, 1e-6);
        Assert.Equal(0.1, check.Error, 1e-6);
        Assert.Equal(-Math.Log(0.75), check.RawLoss, 1e-6);
        Assert.Equal(-Math.Log(0.9), check.Loss, 1e-6);
        Assert.Equal(2, check.Bins[13].Count); // 0.9 is in (13/15, 14/15]
    }

    [Fact]
    public void The_fitted_temperature_undoes_a_known_scaling()
    {
        // Labels drawn from softmax(z) are calibrated for z; shown 3z, the fit must find T ≈ 3.
        var rng = new Random(5);
        int n = 20_000, c = 4;
        var z = new float[n * c];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * c, c);
            for (int k = 0; k < c; k++) row[k] = (float)(rng.NextDouble() * 4 - 2);
            var e = row.ToArray().Select(v => Math.Exp(v)).ToArray();
            double u = rng.NextDouble() * e.Sum(), acc = 0;
            int label = c - 1;
            for (int k = 0; k < c; k++) { acc += e[k]; if (u < acc) { label = k; break; } }
            y[i] = label;
        }
        var scaled = z.Select(v => v * 3).ToArray();
        double t = Calibration.FitTemperature(scaled, c, y);
        Assert.InRange(t, 2.85, 3.15);
        // And it is the minimum: the NLL's derivative in β is zero there (central differences).
        double beta = 1 / t, h = 1e-4;
        double slope = (Calibration.NegativeLogLikelihood(scaled, c, y, beta + h) - Calibration.NegativeLogLikelihood(scaled, c, y, beta - h)) / (2 * h);
        Assert.InRange(slope, -1e-3, 1e-3);
        // Calibrating lowers the ECE.
        Assert.True(Ece(scaled, c, y, 1 / t) < Ece(scaled, c, y, 1));
    }

    static double Ece(float[] z, int c, long[] y, double beta)
    {
        var p = new float[z.Length];
        for (int i = 0; i < y.Length; i++)
        {
            var e = z.AsSpan(i * c, c).ToArray().Select(v => Math.Exp(beta * v)).ToArray();
            for (int k = 0; k < c; k++) p[i * c + k] = (float)(e[k] / e.Sum());
        }
        return Calibration.ExpectedError(p, c, y);
    }
}
