using Semisup.Optim;
using Semisup.Methods;
using System.Runtime.InteropServices;
using Semisup.Models;
using Semisup.Nn;
using Semisup.Tests.Data;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Training;

[Collection("mnist")]
public class TrainerTests(MnistFixture mnist)
{
    static float[] Parameters(string checkpoint)
    {
        var (model, _) = Checkpoint.Load(checkpoint);
        using var _m = model;
        return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    static IEnumerable<string> MetricsWithoutTime(string dir) =>
        new RunDirectory(dir).ReadMetrics().Select(m => (m with { WallSeconds = 0, StepsPerSecond = 0, RssMegabytes = 0, ManagedMegabytes = 0, CommittedMegabytes = 0 }).ToString());

    static float[] TrainedParameters(string lastCheckpoint)
    {
        var recipe = Checkpoint.ReadHeader(lastCheckpoint).Recipe;
        using var resumed = Checkpoint.Resume(lastCheckpoint, m => Factory.Optimizer(m, recipe));
        return resumed.Model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    // Momentum and Nesterov carry velocities, alternating Γ a longer epoch, weight averaging a second model: each
    // must survive a checkpoint.
    [Theory]
    [InlineData("gamma", "adam", 0)]
    [InlineData("gamma", "nesterov", 0)]
    [InlineData("alternating-gamma", "momentum", 0)]
    [InlineData("gamma", "adam", 0.9)]
    public void A_resumed_run_ends_exactly_where_an_uninterrupted_one_does(string method, string optimizer, double emaDecay)
    {
        using var data = SmallRuns.Data(mnist);
        var basic = SmallRuns.Recipe(epochs: 3);
        var recipe = RecipeFile.Parse(basic.ToJson(), "test", [$"method.kind={method}", $"optimizer.kind={optimizer}",
            $"run.emaDecay={emaDecay.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]);
        using var straight = new TempDir();
        Trainer.Run(recipe, new RunDirectory(straight.Path), data);

        using var split = new TempDir();
        Trainer.Run(recipe with { Run = recipe.Run with { Epochs = 1 } }, new RunDirectory(split.Path), data);
        File.AppendAllText(Path.Combine(split.Path, RunDirectory.Metrics), "{\"epoch\":2,\"st"); // a line a full disk cut short
        Trainer.Run(recipe, new RunDirectory(split.Path), data, resume: true);

        Assert.Equal(Parameters(Path.Combine(straight.Path, RunDirectory.Last)), Parameters(Path.Combine(split.Path, RunDirectory.Last)));
        Assert.Equal(TrainedParameters(Path.Combine(straight.Path, RunDirectory.Last)), TrainedParameters(Path.Combine(split.Path, RunDirectory.Last)));
        Assert.Equal(MetricsWithoutTime(straight.Path), MetricsWithoutTime(split.Path));
        Assert.Equal([1, 2, 3], new RunDirectory(split.Path).ReadMetrics().Select(m => m.Epoch));
        Assert.All(new RunDirectory(straight.Path).ReadMetrics(), m =>
        {
            Assert.InRange(m.ManagedMegabytes, 0.1, m.RssMegabytes);
            Assert.InRange(m.CommittedMegabytes, 0.1, m.RssMegabytes);
        });
    }

    /// <summary>The loop as a plain reference writes it out: the seed, the network, then per epoch the schedule's rate,
    /// whole permutations from a generator seeded by (seed, epoch), and per step augmentation, the method's loss and
    /// the optimizer's update; validation at the epoch's end. The trainer must train exactly this, bit for bit.</summary>
    static (float[] Parameters, List<(double Supervised, double Unsupervised, double ValidationLoss, double ValidationAccuracy)> Epochs) PlainLoop(Recipe r, RunData data)
    {
        set_num_threads(r.Run.Threads);
        manual_seed((long)r.Data.Seed);
        using var model = Factory.Model(r);
        using var optimizer = r.Optimizer.Create(model.parameters());
        model.train();
        int steps = r.Run.StepsPerEpoch, lb = r.Run.LabeledBatch, ub = r.Run.UnlabeledBatch;
        var epochs = new List<(double, double, double, double)>();
        for (int epoch = 1; epoch <= r.Run.Epochs; epoch++)
        {
            optimizer.LearningRate = r.Schedule.At(epoch, r.Optimizer.LearningRate, r.Run.Epochs);
            using var generator = new Generator(r.Data.Seed * 1_000_003UL + (ulong)epoch);
            long[] Draw(long count, int needed)
            {
                var all = new List<long>();
                while (all.Count < needed) { using var perm = randperm(count, generator: generator); all.AddRange(perm.data<long>()); }
                return [.. all.Take(needed)];
            }
            var (labeled, unlabeled) = (Draw(data.Labeled.Count, steps * lb), Draw(data.Unlabeled.Count, steps * ub));
            double sup = 0, unsup = 0;
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var li = tensor(labeled[(step * lb)..((step + 1) * lb)]);
                var ui = tensor(unlabeled[(step * ub)..((step + 1) * ub)]);
                var x = r.Augmentation.Apply(data.Labeled.Batch(li));
                optimizer.BeforeGradient();
                var loss = r.Method.Loss(model, new Batch(x, data.Labeled.Labels.index_select(0, li), data.Unlabeled.Batch(ui),
                    new Progress(epoch, step, steps), r.Augmentation));
                sup += loss.Supervised!.item<float>();
                unsup += loss.Unsupervised!.item<float>();
                optimizer.ZeroGrad();
                loss.Total.backward();
                optimizer.Step();
            }
            var validation = Evaluator.Score(model, data.Validation, r.Run.EvalBatch);
            epochs.Add((sup / steps, unsup / steps, validation.Loss, validation.Accuracy));
        }
        return (model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray(), epochs);
    }

    [Theory]
    [InlineData("gamma", "adam")]
    [InlineData("fixmatch", "nesterov")]
    public void The_trainer_trains_exactly_as_the_loop_written_out_plainly(string method, string optimizer)
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = RecipeFile.Parse(SmallRuns.Recipe(epochs: 2).ToJson(), "test", [$"method.kind={method}", $"optimizer.kind={optimizer}", "augmentation.strong.cutout=4"]);
        var (parameters, epochs) = PlainLoop(recipe, data);
        using var dir = new TempDir();
        Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        Assert.Equal(parameters, Parameters(Path.Combine(dir.Path, RunDirectory.Last)));
        Assert.Equal(epochs, new RunDirectory(dir.Path).ReadMetrics().Select(m => (m.SupervisedLoss, m.UnsupervisedLoss, m.ValidationLoss, m.ValidationAccuracy)));
    }

    [Fact]
    public void TensorBoard_holds_every_epochs_curves_and_memory_as_the_metrics_file_does()
    {
        using var data = SmallRuns.Data(mnist);
        using var dir = new TempDir();
        Trainer.Run(SmallRuns.Recipe(epochs: 2), new RunDirectory(dir.Path), data);
        var scalars = TensorBoardScalars(Path.Combine(dir.Path, "tensorboard"));
        var metrics = new RunDirectory(dir.Path).ReadMetrics();
        foreach (var m in metrics)
        {
            (string Tag, double Value)[] expected = [("loss/supervised", m.SupervisedLoss), ("loss/unsupervised", m.UnsupervisedLoss),
                ("loss/validation", m.ValidationLoss), ("accuracy/validation", m.ValidationAccuracy), ("learning_rate", m.LearningRate),
                ("speed/steps_per_second", m.StepsPerSecond), ("memory/rss_mb", m.RssMegabytes),
                ("memory/dotnet_heap_mb", m.ManagedMegabytes), ("memory/dotnet_committed_mb", m.CommittedMegabytes)];
            foreach (var (tag, value) in expected)
                Assert.Equal((float)value, scalars[(tag, m.Epoch)]);
        }
        // Every point belongs to an epoch the metrics file has: nothing stray, nothing from another run.
        Assert.All(scalars.Keys, k => Assert.Contains(k.Step, metrics.Select(m => (long)m.Epoch)));
    }

    /// <summary>Every scalar of a run's TensorBoard events files, by (tag, step). A file is a sequence of records:
    /// length (8 bytes), its CRC (4), an Event message, its CRC (4).</summary>
    static Dictionary<(string Tag, long Step), float> TensorBoardScalars(string dir)
    {
        var scalars = new Dictionary<(string, long), float>();
        foreach (var file in Directory.GetFiles(dir, "events.out.tfevents*", SearchOption.AllDirectories))
        {
            using var reader = new BinaryReader(File.OpenRead(file));
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                long length = reader.ReadInt64();
                reader.ReadUInt32();
                var e = Tensorboard.Event.Parser.ParseFrom(reader.ReadBytes((int)length));
                reader.ReadUInt32();
                if (e.Summary is null) continue;
                foreach (var v in e.Summary.Value) scalars.Add((v.Tag, e.Step), v.SimpleValue);
            }
        }
        return scalars;
    }

    [Fact]
    public void With_weight_averaging_validation_and_checkpoints_hold_the_average_and_training_is_unchanged()
    {
        using var data = SmallRuns.Data(mnist);
        var plain = SmallRuns.Recipe(epochs: 2);
        var recipe = plain with { Run = plain.Run with { EmaDecay = 0.7 } };
        using var dir = new TempDir();
        Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        var last = Path.Combine(dir.Path, RunDirectory.Last);

        var (saved, _) = Checkpoint.Load(last);
        using var _s = saved;
        using var resumed = Checkpoint.Resume(last, m => Factory.Optimizer(m, recipe));
        Assert.NotNull(resumed.Average);
        double recorded = new RunDirectory(dir.Path).ReadMetrics()[^1].ValidationLoss;
        Assert.Equal(recorded, Evaluator.Evaluate(saved, data.Validation, 250).Loss, 5);
        Assert.Equal(recorded, Evaluator.Evaluate(resumed.Average.Model, data.Validation, 250).Loss, 5);
        Assert.NotEqual(recorded, Evaluator.Evaluate(resumed.Model, data.Validation, 250).Loss, 3);
        var (best, bestHeader) = Checkpoint.Load(Path.Combine(dir.Path, RunDirectory.Best));
        using var _b = best;
        double recordedAtBest = new RunDirectory(dir.Path).ReadMetrics().Single(m => m.Epoch == bestHeader.State.BestEpoch).ValidationLoss;
        Assert.Equal(recordedAtBest, Evaluator.Evaluate(best, data.Validation, 250).Loss, 5);

        // The average only watches: the trained weights are those of the same run without it.
        using var plainDir = new TempDir();
        Trainer.Run(plain, new RunDirectory(plainDir.Path), data);
        Assert.Equal(Parameters(Path.Combine(plainDir.Path, RunDirectory.Last)), TrainedParameters(last));

        var e = Assert.Throws<SemisupException>(() => Trainer.Run(recipe with { Run = recipe.Run with { EmaDecay = 0.5, Epochs = 3 } }, new RunDirectory(dir.Path), data, resume: true));
        Assert.Contains("another run.emaDecay", e.Message);
    }

    sealed class CancelAt(CancellationTokenSource cts, int epoch, int step) : ITrainingObserver
    {
        public void Step(int e, int s, int steps, double sup, double unsup) { if (e == epoch && s == step) cts.Cancel(); }
    }

    [Fact]
    public void An_interrupted_run_keeps_its_last_epoch_and_resumes_to_the_same_end()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 3);
        using var straight = new TempDir();
        Trainer.Run(recipe, new RunDirectory(straight.Path), data);

        using var interrupted = new TempDir();
        using var cts = new CancellationTokenSource();
        var result = Trainer.Run(recipe, new RunDirectory(interrupted.Path), data, new CancelAt(cts, 2, 2), cts.Token);
        Assert.True(result.Interrupted);
        Assert.Equal(1, Checkpoint.ReadHeader(Path.Combine(interrupted.Path, RunDirectory.Last)).State.Epoch);
        Trainer.Run(recipe, new RunDirectory(interrupted.Path), data, resume: true);
        Assert.Equal(Parameters(Path.Combine(straight.Path, RunDirectory.Last)), Parameters(Path.Combine(interrupted.Path, RunDirectory.Last)));
    }

    [Fact]
    public void A_schedule_that_overflows_stops_at_once_with_its_cause()
    {
        using var data = SmallRuns.Data(mnist);
        // Plain SGD at a rate of 1e300 from epoch 2: libtorch cannot turn the step into a float, every time.
        var recipe = SmallRuns.Recipe(epochs: 3) with { Optimizer = new Sgd { LearningRate = 0.01 }, Schedule = new LabSchedule(DecayEpoch: 1, DecayedRate: 1e300, ExponentialAfter: 3) };
        using var dir = new TempDir();
        var observer = new Messages();
        var e = Assert.ThrowsAny<SemisupException>(() => Trainer.Run(recipe.Validate(), new RunDirectory(dir.Path), data, observer));
        Assert.True(observer.Lines.Count <= 1, string.Join("\n", observer.Lines));
        Assert.DoesNotContain("--resume", e.Message);
    }

    [Fact]
    public void A_resumed_run_rewrites_its_tensorboard_events_from_the_metrics_so_no_epoch_shows_twice()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 2);
        using var dir = new TempDir();
        // As a kill after epoch 2's events but before its checkpoint would leave it: last.ckpt of epoch 1.
        var keep = new KeepCheckpointOf(1, dir.Path);
        Trainer.Run(recipe, new RunDirectory(dir.Path), data, keep);
        File.Copy(dir["epoch1.ckpt"], dir[RunDirectory.Last], overwrite: true);
        Trainer.Run(recipe, new RunDirectory(dir.Path), data, resume: true);
        var scalars = TensorBoardScalars(dir["tensorboard"]); // a repeated (tag, epoch) would throw here
        Assert.Equal([1L, 2L], scalars.Keys.Select(k => k.Step).Distinct().Order());
        Assert.Equal([1, 2], new RunDirectory(dir.Path).ReadMetrics().Select(m => m.Epoch));
    }

    /// <summary>Copies last.ckpt aside when an epoch ends.</summary>
    sealed class KeepCheckpointOf(int epoch, string runDir) : ITrainingObserver
    {
        public void Epoch(EpochMetrics m, bool isBest)
        {
            if (m.Epoch == epoch) File.Copy(Path.Combine(runDir, RunDirectory.Last), Path.Combine(runDir, $"epoch{epoch}.ckpt"));
        }
    }

    /// <summary>Throws as TorchSharp does when libtorch fails, at one step, the first <c>times</c> it gets there.</summary>
    sealed class LibtorchFailsAt(int epoch, int step, int times) : ITrainingObserver
    {
        int failures;
        public List<string> Messages { get; } = [];
        public void Step(int e, int s, int steps, double sup, double unsup)
        {
            if (e == epoch && s == step && failures++ < times) throw new ExternalException("Expected false to be true, but got false.\nException raised from toFloat");
        }
        public void Message(string text) => Messages.Add(text);
    }

    [Fact]
    public void A_libtorch_failure_sends_the_run_back_to_its_last_checkpoint_and_it_ends_where_an_uninterrupted_one_does()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 3);
        using var straight = new TempDir();
        Trainer.Run(recipe, new RunDirectory(straight.Path), data);

        using var failed = new TempDir();
        var observer = new LibtorchFailsAt(2, 2, times: 1);
        var result = Trainer.Run(recipe, new RunDirectory(failed.Path), data, observer);

        Assert.False(result.Interrupted);
        Assert.Equal("libtorch failed in epoch 2: Expected false to be true, but got false; continuing from epoch 1 (retry 1 of 3).", Assert.Single(observer.Messages));
        Assert.Equal(Parameters(Path.Combine(straight.Path, RunDirectory.Last)), Parameters(Path.Combine(failed.Path, RunDirectory.Last)));
        Assert.Equal(MetricsWithoutTime(straight.Path), MetricsWithoutTime(failed.Path));
        Assert.Single(Directory.GetFiles(Path.Combine(failed.Path, "tensorboard"), "events.out.tfevents*"));
    }

    [Fact]
    public void A_libtorch_failure_that_persists_or_comes_before_any_checkpoint_stops_the_run_with_a_clear_error()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 2);
        using var dir = new TempDir();
        var always = new LibtorchFailsAt(2, 1, times: int.MaxValue);
        // The same failure at the same epoch after going back is the run's own: one retry, then its cause, and no
        // advice to resume into it again.
        var e = Assert.Throws<SemisupException>(() => Trainer.Run(recipe, new RunDirectory(dir.Path), data, always));
        Assert.Single(always.Messages);
        Assert.Equal("libtorch failed in epoch 2 again after going back to epoch 1: Expected false to be true, but got false. It fails the same way every time, so the recipe (a learning rate, a schedule, a size) is the cause, not a passing failure.", e.Message);
        Assert.DoesNotContain("--resume", e.Message);
        Assert.Equal([1], new RunDirectory(dir.Path).ReadMetrics().Select(m => m.Epoch));

        using var fresh = new TempDir();
        var first = new LibtorchFailsAt(1, 1, times: 1);
        var native = Assert.Throws<NativeFailureException>(() => Trainer.Run(recipe, new RunDirectory(fresh.Path), data, first));
        Assert.Empty(first.Messages);
        Assert.EndsWith("No epoch had been saved; start the run again.", native.Message);
    }

    [Fact]
    public void A_new_run_into_a_directory_that_holds_a_run_is_refused_and_changes_nothing()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 1);
        using var dir = new TempDir();
        Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        var metrics = File.ReadAllText(Path.Combine(dir.Path, RunDirectory.Metrics));
        var e = Assert.Throws<SemisupException>(() => Trainer.Run(recipe with { Data = recipe.Data with { Seed = 2 } }, new RunDirectory(dir.Path), data));
        Assert.Equal($"{dir.Path} already holds a run (last.ckpt). Continue it with `semisup train --resume {dir.Path}`, or train into another directory.", e.Message);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(dir.Path, RunDirectory.Metrics)));
    }

    [Theory]
    [InlineData(7, 17)] // two whole passes and three indices of a third
    [InlineData(7, 7)]
    [InlineData(7, 3)]
    [InlineData(0, 4)] // nothing to draw from: zeros, as a supervised run's unused unlabeled order
    public void An_epochs_order_is_whole_permutations_in_sequence_the_last_cut_short(long count, int needed)
    {
        // Recorded runs depend on this stream: every pass draws a whole permutation, however little of it is used.
        using var g1 = new Generator(11);
        using var g2 = new Generator(11);
        var expected = new List<long>();
        while (count > 0 && expected.Count < needed)
        {
            using var perm = randperm(count, generator: g2);
            expected.AddRange(perm.data<long>());
        }
        Assert.Equal(count > 0 ? expected.Take(needed) : new long[needed], BatchOrder.Passes(count, needed, g1));
        using var next1 = randperm(5, generator: g1);
        using var next2 = randperm(5, generator: g2);
        Assert.Equal(next2.data<long>().ToArray(), next1.data<long>().ToArray()); // the generator ends where whole passes leave it
    }

    [Fact]
    public void A_supervised_run_trains_without_unlabeled_images()
    {
        using var data = SmallRuns.Data(mnist, unlabeled: 0);
        using var dir = new TempDir();
        var result = Trainer.Run(SmallRuns.Recipe(epochs: 1) with { Method = new Supervised() }, new RunDirectory(dir.Path), data);
        Assert.Equal(1, result.State.Epoch);
        Assert.True(double.IsFinite(Assert.Single(new RunDirectory(dir.Path).ReadMetrics()).SupervisedLoss));
    }

    [Fact]
    public void A_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe(epochs: 2);
        using var dir = new TempDir();
        Trainer.Run(recipe with { Run = recipe.Run with { Epochs = 1 } }, new RunDirectory(dir.Path), data);
        var before = File.ReadAllBytes(Path.Combine(dir.Path, RunDirectory.Last));
        int[] All(Semisup.Data.ImageSet s) => [.. Enumerable.Range(0, (int)s.Count)];
        using var nan = new RunData(new Semisup.Data.ImageSet(TorchSharp.torch.full(data.Labeled.Images.shape, float.NaN), data.Labeled.Labels.clone()),
            data.Unlabeled.Subset(All(data.Unlabeled)), data.Validation.Subset(All(data.Validation)), data.Test!.Subset(All(data.Test)));
        var e = Assert.Throws<SemisupException>(() => Trainer.Run(recipe, new RunDirectory(dir.Path), nan, resume: true));
        Assert.Contains("NaN at epoch 2, step 1", e.Message);
        Assert.Contains("epoch 1", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir.Path, RunDirectory.Last)));
    }

    [Fact]
    public void Two_hundred_gamma_steps_on_real_mnist_beat_90_percent_validation()
    {
        using var data = SmallRuns.Data(mnist, labels: 3000, unlabeled: 47000, validation: 10000);
        var recipe = new Recipe { Run = new(Epochs: 4, StepsPerEpoch: 50) }.Validate();
        using var dir = new TempDir();
        var result = Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        Assert.True(result.State.BestValidationAccuracy > 0.90, $"best validation accuracy {result.State.BestValidationAccuracy:P2}");
    }

    sealed class Messages : ITrainingObserver
    {
        public readonly List<string> Lines = [];
        public void Message(string text) => Lines.Add(text);
    }

    [Fact]
    public void Warm_start_and_k_means_initialisation_run_from_a_recipe()
    {
        using var data = SmallRuns.Data(mnist);
        using var dir = new TempDir();
        manual_seed(1);
        using (var small = new ConvNet(new ConvNetConfig(HiddenUnits: 50)))
            Checkpoint.Save(dir["small.ckpt"], small, new Recipe { Model = new ConvNetConfig(HiddenUnits: 50) }, new TrainingState(1, 1, 0.5, 1), null);
        var ladderRecipe = new Recipe { Model = new LadderConfig(), Method = new Ladder() };
        using (var ladder = new LadderNet(new LadderConfig()))
            Checkpoint.Save(dir["ladder.ckpt"], ladder, ladderRecipe, new TrainingState(1, 1, 0.5, 1), null);

        var recipe = SmallRuns.Recipe(epochs: 1) with { Model = new ConvNetConfig { WarmStart = dir["small.ckpt"] } };
        var messages = new Messages();
        Trainer.Run(recipe.Validate(), new RunDirectory(dir["run"]), data, messages);
        Assert.Contains("copied conv1.weight", Assert.Single(messages.Lines));
        Assert.Contains("initialised randomly: fc1.weight", messages.Lines[0]);

        var e = Assert.Throws<SemisupException>(() => Trainer.Run((recipe with { Model = new ConvNetConfig { WarmStart = dir["ladder.ckpt"] } }).Validate(), new RunDirectory(dir["run2"]), data));
        Assert.Contains("no layer matches", e.Message);
        Assert.Contains("choose one", Assert.Throws<SemisupException>(() => (recipe with { Model = (ConvNetConfig)recipe.Model with { Init = "kmeans" } }).Validate()).Message);

        // A learning rate too small to move the weights leaves the first layer as k-means made it.
        var kmeans = SmallRuns.Recipe(epochs: 1) with { Model = new ConvNetConfig(Init: "kmeans"), Optimizer = new Adam { LearningRate = 1e-12 } };
        Trainer.Run(kmeans, new RunDirectory(dir["kmeans"]), data);
        manual_seed((long)kmeans.Data.Seed);
        using var expected = Factory.Model(kmeans);
        KMeansInit.FirstLayer(expected, data.Unlabeled.Slice(0, data.Unlabeled.Count), kmeans.Data.Seed, ((ConvNetConfig)kmeans.Model).InitRange);
        var (trained, _) = Checkpoint.Load(dir["kmeans/" + RunDirectory.Last]);
        using var _t = trained;
        Tensor Conv1(Classifier m) => m.named_parameters().Single(p => p.name == "conv1.weight").parameter;
        Assert.True(Conv1(trained).allclose(Conv1(expected), rtol: 0, atol: 1e-6), "conv1 holds the k-means filters");
    }
}
