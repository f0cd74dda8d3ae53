using System.Text;
using Semisup.Data;
using Semisup.Models;
using Semisup.Runs;
using Semisup.Tests.Data;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Training;

/// <summary>Temperature scaling end to end below the commands: the fit on a real model's logits, the checkpoint's
/// header field and its absence in older files, and scoring that divides by it without moving a class.</summary>
public class TemperatureTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    static readonly TrainingState State = new(3, 2, 0.9, 12);

    [Fact]
    public void The_fitted_temperature_minimises_the_validation_loss_of_a_real_model_over_a_fine_grid()
    {
        var data = tiny.Data;
        var (model, _) = Checkpoint.Load(tiny.Best);
        using var _m = model;
        var logits = Evaluator.Logits(model, data.Validation, 250);
        var labels = data.Validation.Labels.data<long>().ToArray();
        // The NLL the fit minimises is libtorch's cross-entropy at T = 1: an independent implementation agrees.
        Assert.Equal(Evaluator.Evaluate(model, data.Validation, 250).Loss, Calibration.NegativeLogLikelihood(logits, 10, labels, 1), 1e-5);

        double t = Calibration.FitTemperature(logits, 10, labels);
        double Nll(double temperature) => Calibration.NegativeLogLikelihood(logits, 10, labels, 1 / temperature);
        // 4,001 temperatures from 0.05 to 20, each 0.15% above the last.
        var grid = Enumerable.Range(0, 4001).Select(i => 0.05 * Math.Pow(400, i / 4000.0)).Select(g => (T: g, Nll: Nll(g))).MinBy(p => p.Nll);
        Assert.True(Nll(t) <= grid.Nll + 1e-12, $"T = {t}: NLL {Nll(t)}, the grid's best {grid.Nll} at {grid.T}");
        Assert.InRange(Math.Abs(Math.Log(t / grid.T)), 0, Math.Log(400) / 4000);
        // Not the trivial answer: this model's probabilities are far from calibrated, and T moves its loss.
        Assert.True(Math.Abs(t - 1) > 0.1, $"T = {t}");
        Assert.True(Nll(t) < Nll(1) - 1e-3);
        // And the calibration error on the validation set it was fitted on goes down.
        var check = Calibration.Check(logits, 10, labels, t);
        Assert.True(check.Error <= check.RawError, $"ECE {check.RawError} -> {check.Error}");
    }

    [Fact]
    public void With_a_temperature_the_classes_and_accuracy_are_bit_identical_and_the_probabilities_are_those_of_the_divided_logits()
    {
        var data = tiny.Data;
        var (model, _) = Checkpoint.Load(tiny.Best);
        using var _m = model;
        var set = data.Validation;
        var raw = Evaluator.Evaluate(model, set, 250);
        Assert.Null(raw.Raw);
        Assert.Null(raw.Temperature);
        var logits = Evaluator.Logits(model, set, 250);
        foreach (var t in new[] { 0.4, 2.5 })
        {
            model.Temperature = t;
            var calibrated = Evaluator.Evaluate(model, set, 250);
            Assert.Equal(raw.Predictions, calibrated.Predictions);
            Assert.Equal(raw.Accuracy, calibrated.Accuracy);
            Assert.Equal(t, calibrated.Temperature);
            // Raw beside it is exactly the evaluation without the temperature.
            Assert.Equal(raw.Probabilities, calibrated.Raw!.Probabilities);
            Assert.Equal(raw.Loss, calibrated.Raw.Loss);
            Assert.Equal(raw.ExpectedError, calibrated.Raw.ExpectedError);
            Assert.Equal(raw.Probabilities, Evaluator.Evaluate(model, set, 250, raw: true).Probabilities);
            // softmax(z / T) computed in float64 from the raw logits.
            var expected = Calibration.Softmax(logits, 10, t);
            Assert.True(MaxDiff(expected, calibrated.Probabilities) < 1e-6);
            Assert.True(MaxDiff(raw.Probabilities, calibrated.Probabilities) > 0.05, $"the temperature changed nothing: {MaxDiff(raw.Probabilities, calibrated.Probabilities)}, accuracy {raw.Accuracy}, T {t}");
            Assert.Equal(Calibration.NegativeLogLikelihood(logits, 10, set.Labels.data<long>().ToArray(), 1 / t), calibrated.Loss, 1e-5);
            // Prediction's path (the ensemble's) divides alike.
            using var images = set.Slice(0, 20);
            Assert.True(MaxDiff(calibrated.Probabilities[..200], Evaluator.Probabilities(model, images)) < 1e-6);
            Assert.True(MaxDiff(raw.Probabilities[..200], Evaluator.Probabilities(model, images, raw: true)) < 1e-6);
            // With test-time shifts too.
            var shifted = Evaluator.Evaluate(model, set, 250, shifted: true);
            var shiftedRaw = Evaluator.Evaluate(model, set, 250, shifted: true, raw: true);
            Assert.Equal(shiftedRaw.Predictions, shifted.Predictions);
            Assert.Equal(shiftedRaw.Accuracy, shifted.Accuracy);
        }
    }

    static double MaxDiff(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    /// <summary>Logits that are the same row for every image.</summary>
    sealed class FixedLogits(float[] row) : Classifier("fixed")
    {
        public override int Classes => row.Length;
        public override Tensor forward(Tensor x) => tensor(row).unsqueeze(0).expand(x.shape[0], row.Length).contiguous();
        public override Tensor Noisy(Tensor x) => forward(x);
    }

    [Fact]
    public void Two_logits_that_dividing_rounds_to_one_value_keep_the_larger_ones_class()
    {
        // Above 1.5, z / 3 lands where floats are twice as far apart as consecutive z are after the division: two
        // neighbouring logits can round to one quotient, and an argmax of the quotients would take the first class.
        const double t = 3;
        float low = 1.6f, high = MathF.BitIncrement(low);
        for (int i = 0; i < 1000 && !Tied(low, high); i++) (low, high) = (high, MathF.BitIncrement(high));
        Assert.True(Tied(low, high), "no tie found");
        Assert.True(high > low);
        static bool Tied(float a, float b)
        {
            using var q = tensor(new[] { a, b }) / t;
            var v = q.data<float>().ToArray();
            return v[0] == v[1];
        }
        using var model = new FixedLogits([low, high]);
        model.Temperature = t;
        using var set = new ImageSet(zeros([2, 1, 1, 1], ScalarType.Byte), tensor(new long[] { 1, 1 }));
        var e = Evaluator.Evaluate(model, set, 2);
        Assert.Equal(e.Probabilities[0], e.Probabilities[1]); // the tie is real
        Assert.Equal([1L, 1L], e.Predictions);
        Assert.Equal(1.0, e.Accuracy);
        Assert.Equal(1.0, Evaluator.Score(model, set, 2).Accuracy);
    }

    [Fact]
    public void A_stored_temperature_reads_back_exactly_and_leaves_the_weights_and_state_as_they_were()
    {
        using var dir = new TempDir();
        manual_seed(5);
        var recipe = new Recipe();
        using var net = new ConvNet(new ConvNetConfig());
        using var optimizer = Factory.Optimizer(net, recipe);
        Checkpoint.Save(dir["last.ckpt"], net, recipe, State, optimizer);
        var before = File.ReadAllBytes(dir["last.ckpt"]);
        const double t = 1.7345678901234567;
        Checkpoint.SaveTemperature(dir["last.ckpt"], t);

        var (loaded, header) = Checkpoint.Load(dir["last.ckpt"]);
        using var _l = loaded;
        Assert.Equal(t, header.Temperature);
        Assert.Equal(t, loaded.Temperature);
        Assert.Equal((State, recipe.ToJson()), (header.State, header.Recipe.ToJson()));
        foreach (var (name, w) in net.state_dict()) Assert.True(w.eq(loaded.state_dict()[name]).all().item<bool>(), name);
        // Only the header changed: the tensors, optimizer and RNG state follow it byte for byte.
        var after = File.ReadAllBytes(dir["last.ckpt"]);
        Assert.Equal(before.Length - HeaderEnd(before), after.Length - HeaderEnd(after));
        Assert.Equal(before[HeaderEnd(before)..^32], after[HeaderEnd(after)..^32]);
        // It still resumes, and training never sees the temperature.
        using var resumed = Checkpoint.Resume(dir["last.ckpt"], m => Factory.Optimizer(m, recipe));
        Assert.Null(resumed.Model.Temperature);
        // A model that carries one saves it; stored again, the value replaces the old.
        Checkpoint.Save(dir["copy.ckpt"], loaded, recipe, State, null);
        Assert.Equal(t, Checkpoint.ReadHeader(dir["copy.ckpt"]).Temperature);
        Checkpoint.SaveTemperature(dir["copy.ckpt"], 0.5);
        Assert.Equal(0.5, Checkpoint.ReadHeader(dir["copy.ckpt"]).Temperature);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    /// <summary>Where a checkpoint's header ends: after the magic and the JSON, each a length-prefixed string.</summary>
    static int HeaderEnd(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        r.ReadString();
        r.ReadString();
        return (int)r.BaseStream.Position;
    }

    [Fact]
    public void A_checkpoint_without_a_temperature_is_written_as_before_and_scores_raw()
    {
        var data = tiny.Data;
        using var dir = new TempDir();
        var path = dir["best.ckpt"];
        File.Copy(tiny.Best, path);
        // The header of an uncalibrated checkpoint has no such key: files written before temperatures look the same.
        var bytes = File.ReadAllBytes(path);
        using (var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8))
        {
            r.ReadString();
            Assert.DoesNotContain("temperature", r.ReadString());
        }
        var (model, header) = Checkpoint.Load(path);
        using var _m = model;
        Assert.Null(header.Temperature);
        Assert.Null(model.Temperature);
        var e = Evaluator.Evaluate(model, data.Validation, 250);
        Assert.Null(e.Raw);
        Assert.Equal(Calibration.Softmax(Evaluator.Logits(model, data.Validation, 250), 10, 1), e.Probabilities, (a, b) => Math.Abs(a - b) < 1e-6);

        // A first-format file (no checksum) loads without one too, but is not saved again unverified.
        ForgedCheckpoints.SetFormat(path, '1');
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^32]);
        var (old, oldHeader) = Checkpoint.Load(path);
        using var _o = old;
        Assert.Null(oldHeader.Temperature);
        var refused = Assert.Throws<SemisupException>(() => Checkpoint.SaveTemperature(path, 2));
        Assert.Equal($"{path}: is of the first checkpoint format, without a checksum; if you trust it, run `semisup checkpoint upgrade {path}` first, then calibrate it.", refused.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1.5")]
    public void A_temperature_that_is_not_a_positive_number_is_a_corrupt_checkpoint(string value)
    {
        using var dir = new TempDir();
        using (var net = new ConvNet(new ConvNetConfig())) Checkpoint.Save(dir["m.ckpt"], net, new Recipe(), State, null);
        ForgedCheckpoints.Rewrite(dir["m.ckpt"], h => h["temperature"] = System.Text.Json.Nodes.JsonNode.Parse(value));
        var e = Assert.Throws<SemisupException>(() => Checkpoint.Load(dir["m.ckpt"]));
        Assert.Equal($"{dir["m.ckpt"]}: corrupt checkpoint: its temperature {double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)} is not a positive number.", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Checkpoint.SaveTemperature(dir["m.ckpt"], double.NaN));
    }
}

/// <summary>A real model after 50 steps on 100 labels (about 60% accurate, and underconfident, as the lab's models
/// are): best.ckpt of a two-epoch run, trained once for the tests that read it, with its data.</summary>
public sealed class TinyRun : IDisposable
{
    readonly TempDir dir = new();
    public RunData Data { get; } = SmallRuns.Data(new MnistFixture());
    public string Best { get; }

    public TinyRun()
    {
        Trainer.Run(SmallRuns.Recipe(epochs: 2, steps: 25), new RunDirectory(dir["run"]), Data);
        Best = Path.Combine(dir["run"], RunDirectory.Best);
    }

    public void Dispose()
    {
        Data.Dispose();
        dir.Dispose();
    }
}
