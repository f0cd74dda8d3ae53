using System.Globalization;
using Semisup.Data;
using Semisup.Models;
using Semisup.Runs;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Tests.Training;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Runs;

/// <summary>The temperature in runs and commands: fitted when training ends (and again when a finished run is resumed),
/// stored in both checkpoints and reported; fitted on a shipped checkpoint by `checkpoint calibrate`; printed by evaluate.</summary>
[Collection("mnist")]
public class CalibrationRunTests(MnistFixture mnist, TinyRun tiny) : IClassFixture<TinyRun>
{
    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_finished_run_stores_its_temperature_in_both_checkpoints_reports_it_and_a_resume_fits_it_again()
    {
        int threads = get_num_threads();
        try { await FinishedRun(); }
        finally { set_num_threads(threads); }
    }

    async Task FinishedRun()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliCapture.Run("data", "synth", "--labels", "100", "--unlabeled", "100", "--validation", "60", "--test", "40",
            "--out", dir["cs"], "--data-dir", mnist.Dir);
        Assert.True(code == 0, err);
        string[] small = ["--threads", "1", "--set", "run.stepsPerEpoch=3", "--set", "run.labeledBatch=8", "--set", "run.unlabeledBatch=8"];
        (code, var output, err) = await CliCapture.Run(["train", "--data", dir["cs"], "--out", dir["run"], "--epochs", "1", .. small]);
        Assert.True(code == 0, err);

        var run = new RunDirectory(dir["run"]);
        var calibration = run.ReadCalibration()!;
        double t = calibration.Temperature;
        Assert.Equal((RunDirectory.Best, 1, 60, 40), (calibration.Checkpoint, calibration.Epoch, calibration.Validation.Count, calibration.Test!.Count));
        Assert.Contains(Invariant($"temperature {t:F3} fitted on validation: ECE {100 * calibration.Validation.RawError:F2}% raw -> {100 * calibration.Validation.Error:F2}% calibrated"), output);
        Assert.Equal(t, Checkpoint.ReadHeader(run.BestPath).Temperature);
        Assert.Equal(t, Checkpoint.ReadHeader(run.LastPath).Temperature);

        // The same fit again, from the recipe alone: its validation images recreated, the raw logits of best.ckpt.
        var header = Checkpoint.ReadHeader(run.BestPath);
        using (var validation = await Calibrating.ValidationSetAsync(header.Recipe, _ => Task.FromResult(mnist.Dir)))
        {
            var (model, _) = Checkpoint.Load(run.BestPath);
            using var _m = model;
            var (fitted, check) = Calibrating.Fit(model, validation, header.Recipe.Run.EvalBatch);
            Assert.Equal(t, fitted);
            Assert.Equal((check.RawError, check.Error, check.RawLoss, check.Loss), (calibration.Validation.RawError, calibration.Validation.Error, calibration.Validation.RawLoss, calibration.Validation.Loss));
        }

        var summary = File.ReadAllText(run[RunDirectory.Summary]);
        var (test, v) = (calibration.Test, calibration.Validation);
        Assert.Contains(Invariant($"| ECE (15 bins), raw → with temperature {t:F3} | test {100 * test.RawError:F2}% → {100 * test.Error:F2}%; validation (where T was fitted) {100 * v.RawError:F2}% → {100 * v.Error:F2}% |"), summary);
        Assert.Contains("![reliability](reliability.png)", summary);
        using (var image = SkiaSharp.SKBitmap.Decode(run["reliability.png"])) Assert.True(image is { Width: > 100, Height: > 100 });

        // Resumed when finished, the run measures and fits again, to the same temperature.
        File.Delete(run[RunDirectory.Calibration]);
        (code, _, err) = await CliCapture.Run("train", "--resume", dir["run"]);
        Assert.True(code == 0, err);
        Assert.Equal(t, run.ReadCalibration()!.Temperature);
        Assert.Equal(t, Checkpoint.ReadHeader(run.BestPath).Temperature);
    }

    [Fact]
    public void A_last_checkpoint_of_another_epoch_gets_its_own_temperature()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        var (model, header) = Checkpoint.Load(tiny.Best);
        using var _m = model;
        Checkpoint.Save(run.BestPath, model, header.Recipe, header.State with { Epoch = 1, BestEpoch = 1 }, null);
        // The last layer's batch norm scaled by 3 scales every logit by 3: the fitted temperature must be 3 times as large.
        using (no_grad())
            foreach (var name in new[] { "bn6.weight", "bn6.bias" }) model.get_parameter(name)!.mul_(3);
        Checkpoint.Save(run.LastPath, model, header.Recipe, header.State with { Epoch = 2, BestEpoch = 1 }, null);

        var best = Calibrating.CalibrateRun(run, tiny.Data.Validation);
        double last = Checkpoint.ReadHeader(run.LastPath).Temperature!.Value;
        Assert.Equal(best.Temperature, Checkpoint.ReadHeader(run.BestPath).Temperature);
        Assert.Equal(3 * best.Temperature, last, 3 * best.Temperature * 1e-4);
        Assert.Equal(best.Temperature, run.ReadCalibration()!.Temperature);
    }

    [Fact]
    public async Task Checkpoint_calibrate_fits_on_the_recipes_validation_split_and_evaluate_prints_the_error_with_and_without()
    {
        int threads = get_num_threads();
        try { await CalibrateAndEvaluate(); }
        finally { set_num_threads(threads); }
    }

    async Task CalibrateAndEvaluate()
    {
        using var dir = new TempDir();
        var path = dir["best.ckpt"];
        File.Copy(tiny.Best, path);
        var (code, output, err) = await CliCapture.Run("checkpoint", "calibrate", path, "--data-dir", mnist.Dir);
        Assert.True(code == 0, err);

        // The oracle: the split recreated from the recipe (as evaluate --split validation does), the fit on raw logits.
        var header = Checkpoint.ReadHeader(path);
        var split = Split.Create("mnist", mnist.Files.TrainLabels.Data, header.Recipe.Data.Labels, header.Recipe.Data.Seed, header.Recipe.Data.Split);
        using var validation = await Calibrating.ValidationSetAsync(header.Recipe, _ => Task.FromResult(mnist.Dir));
        Assert.Equal(split.Validation.Length, validation.Count);
        var (model, _) = Checkpoint.Load(path);
        using var _m = model;
        model.Temperature = null;
        var (t, check) = Calibrating.Fit(model, validation, 250);
        Assert.Equal(t, header.Temperature);
        Assert.Equal(Invariant($"{path}: temperature {t:F3} (was none), fitted on {check.Count:N0} validation images: ECE {100 * check.RawError:F2}% raw -> {100 * check.Error:F2}%, loss {check.RawLoss:F4} -> {check.Loss:F4}"), output.Trim());
        Assert.True(check.Error < check.RawError, $"ECE {check.RawError} -> {check.Error}");

        // evaluate: the calibrated score with the raw error beside it; --raw: the same accuracy, the raw error alone.
        model.Temperature = t;
        var calibrated = Evaluator.Evaluate(model, validation, 250);
        string accuracy = Invariant($"validation accuracy {100 * calibrated.Accuracy:F2}% ({Math.Round((1 - calibrated.Accuracy) * calibrated.Count)} of {calibrated.Count} wrong)");
        (code, output, err) = await CliCapture.Run("evaluate", "-c", path, "--split", "validation", "--data-dir", mnist.Dir, "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Contains(accuracy + Invariant($", loss {calibrated.Loss:F4}, ECE {100 * calibrated.ExpectedError:F2}% (raw {100 * calibrated.Raw!.ExpectedError:F2}%, temperature {t:F3})"), output);
        (code, output, err) = await CliCapture.Run("evaluate", "-c", path, "--split", "validation", "--data-dir", mnist.Dir, "--threads", "1", "--raw");
        Assert.True(code == 0, err);
        Assert.Contains(accuracy + Invariant($", loss {calibrated.Raw.Loss:F4}, ECE {100 * calibrated.Raw.ExpectedError:F2}% (raw)"), output);

        // predict: the same classes, the probabilities of the divided logits unless --raw.
        var images = Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte");
        var (scaled, _, _) = Prediction.Predict([path], images, 5);
        var (plain, _, _) = Prediction.Predict([path], images, 5, raw: true);
        Assert.Equal(plain.Select(p => p.Class), scaled.Select(p => p.Class));
        // softmax(z / T) is softmax(z) to the power 1/T, normalised.
        foreach (var (c, r) in scaled.Zip(plain))
        {
            var powered = r.Probabilities.Select(p => Math.Pow(p, 1 / t)).ToArray();
            Assert.Equal(powered.Select(p => p / powered.Sum()), c.Probabilities.Select(p => (double)p), (a, b) => Math.Abs(a - b) < 1e-4);
        }
        Assert.True(scaled.Zip(plain).Any(p => Math.Abs(p.First.Probabilities.Max() - p.Second.Probabilities.Max()) > 0.01), "the temperature changed nothing");
        (_, output, _) = await CliCapture.Run("predict", "-c", path, "-i", images, "--limit", "1", "--raw");
        Assert.Contains(Invariant($"({100 * plain[0].Probabilities.Max():F1}%)"), output);
    }
}
