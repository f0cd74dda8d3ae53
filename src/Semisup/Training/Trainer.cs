using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Nn;
using Semisup.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Training;

/// <summary>One epoch's line of metrics.jsonl.</summary>
public sealed record EpochMetrics(
    int Epoch, long Step, double SupervisedLoss, double UnsupervisedLoss, double TrainLoss,
    double ValidationLoss, double ValidationAccuracy, double LearningRate, double WallSeconds, double StepsPerSecond, double RssMegabytes = 0,
    double ManagedMegabytes = 0, double CommittedMegabytes = 0);

/// <summary>Told about progress; the CLI draws a bar or prints lines.</summary>
public interface ITrainingObserver
{
    void Started(Recipe recipe, int firstEpoch, int stepsPerEpoch) { }
    void Step(int epoch, int step, int stepsPerEpoch, double supervised, double unsupervised) { }
    void Epoch(EpochMetrics metrics, bool isBest) { }
    void Message(string text) { }
}

public sealed record TrainResult(TrainingState State, bool Interrupted);

/// <summary>libtorch failed during an epoch; <see cref="SavedEpoch"/> is the epoch the last checkpoint holds (0: none).</summary>
public sealed class NativeFailureException(int epoch, int savedEpoch, string runDir, Exception inner)
    : SemisupException($"libtorch failed in epoch {epoch}: {FirstLine(inner.Message)}. {Trainer.WhereToContinue(runDir, savedEpoch)}", inner)
{
    public int Epoch => epoch;
    public int SavedEpoch => savedEpoch;
    public string Detail => FirstLine(InnerException!.Message);

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');
}

/// <summary>The training loop: per epoch, fixed-seed permutations of labeled and unlabeled images, augmentation,
/// the method's loss, Adam with the lab's schedule, optionally a weight average, validation (of the average when there
/// is one), best/last checkpoints and a metrics line.</summary>
public static class Trainer
{
    public const string LastCheckpoint = "last.ckpt", BestCheckpoint = "best.ckpt", MetricsFile = "metrics.jsonl", RecipeFile = "recipe.json";

    /// <summary>How often a run goes back to its last checkpoint after libtorch fails, before it gives up.</summary>
    public const int NativeRetries = 3;

    public static TrainResult Run(Recipe recipe, string runDir, RunData data, ITrainingObserver? observer = null, CancellationToken cancel = default, bool resume = false)
    {
        observer ??= new NullObserver();
        SummaryWriter? tensorboard = null; // one events file, however often the run goes back to its checkpoint
        // TorchSharp 0.107's operators make implicit Scalars (the alpha = 1 of a + b) that the finalizer thread may free
        // while libtorch still reads them, when another thread's allocation starts a GC (dotnet/TorchSharp#1434). It
        // is rare (once in this project's many hours of runs, at epoch 109 of 150) and a resumed run ends where an
        // uninterrupted one would, so a native failure sends the run back to its last checkpoint instead of ending it.
        for (int retry = 1; ; retry++)
        {
            try
            {
                return RunFrom(recipe, runDir, data, observer, ref tensorboard, cancel, resume);
            }
            catch (NativeFailureException e) when (retry <= NativeRetries && e.SavedEpoch > 0)
            {
                observer.Message($"libtorch failed in epoch {e.Epoch}: {e.Detail}; continuing from epoch {e.SavedEpoch} (retry {retry} of {NativeRetries}).");
                resume = true;
            }
        }
    }

    static TrainResult RunFrom(Recipe recipe, string runDir, RunData data, ITrainingObserver observer, ref SummaryWriter? tensorboard, CancellationToken cancel, bool resume)
    {
        torch.set_num_threads(recipe.Threads);
        var method = MethodRegistry.Create(recipe);
        if (method is not Supervised && (data.Unlabeled.Count == 0 || recipe.UnlabeledBatch == 0))
            throw new SemisupException($"The {recipe.Method} method needs unlabeled images and unlabeledBatch > 0; use fewer labels or the supervised method.");
        if (recipe.Model == "mlp-ladder")
        {
            long pixels = data.Labeled.Images.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            int classes = ClassNames.Of(Datasets.Get(recipe.Dataset)).Count;
            if (recipe.LadderLayers[0] != pixels || recipe.LadderLayers[^1] != classes)
                throw new SemisupException($"ladderLayers [{string.Join(", ", recipe.LadderLayers)}] do not fit {recipe.Dataset}: the first width must be its {pixels} pixels and the last its {classes} classes.");
        }
        var augment = recipe.Augmentation;
        int steps = method.StepsPerEpoch(recipe.StepsPer((int)data.Labeled.Count));
        // A supervised run on every label has no unlabeled images to draw (the other methods were refused above).
        int unlabeledBatch = data.Unlabeled.Count == 0 ? 0 : recipe.UnlabeledBatch;

        var lastPath = Path.Combine(runDir, LastCheckpoint);
        if (resume && !File.Exists(lastPath)) throw new SemisupException($"{runDir} has no {LastCheckpoint} to resume from.");
        if (!resume) RefuseUsed(runDir);
        if (resume && Checkpoint.ReadHeader(lastPath).Recipe.EmaDecay != recipe.EmaDecay)
            throw new SemisupException($"{lastPath} was written with another emaDecay; a run resumes with the recipe it started with.");
        using var learner = resume ? Checkpoint.Resume(lastPath, m => NewOptimizer(m, recipe)) : Start(recipe, data, observer);
        if (resume) TrimMetrics(Path.Combine(runDir, MetricsFile), learner.State.Epoch);
        var (model, optimizer, average, state) = learner;
        var evaluated = average?.Model ?? model;
        model.train();
        var clock = Stopwatch.StartNew();
        double wallBefore = state.WallSeconds;
        long globalStep = (long)state.Epoch * steps;
        observer.Started(recipe, state.Epoch + 1, steps);
        tensorboard ??= torch.utils.tensorboard.SummaryWriter(Path.Combine(runDir, "tensorboard"));

        for (int epoch = state.Epoch + 1; epoch <= recipe.Epochs; epoch++)
        {
            try
            {
                double lr = recipe.Schedule.At(epoch, recipe.LearningRate, recipe.Epochs);
                optimizer.LearningRate = lr;
                var (labeledOrder, unlabeledOrder) = EpochOrder(recipe, epoch, steps, unlabeledBatch, data);
                double supSum = 0, unsupSum = 0, totalSum = 0;
                int supSteps = 0, unsupSteps = 0;
                var epochClock = Stopwatch.StartNew();
                for (int step = 0; step < steps; step++)
                {
                    if (cancel.IsCancellationRequested) return new(state with { WallSeconds = wallBefore + clock.Elapsed.TotalSeconds }, true);
                    using var scope = NewDisposeScope();
                    using var li = tensor(labeledOrder[(step * recipe.LabeledBatch)..((step + 1) * recipe.LabeledBatch)]);
                    using var ui = tensor(unlabeledOrder[(step * unlabeledBatch)..((step + 1) * unlabeledBatch)]);
                    var x = augment.Apply(data.Labeled.Images.index_select(0, li));
                    var y = data.Labels(li);
                    var u = data.Unlabeled.Images.index_select(0, ui);
                    optimizer.BeforeGradient();
                    var loss = method.Loss(model, x, y, u, new Progress(epoch, step, steps));
                    float total = loss.Total.item<float>();
                    if (!float.IsFinite(total))
                        throw new SemisupException($"The loss became {total} at epoch {epoch}, step {step + 1}; training stopped. " +
                            (state.Epoch > 0 ? $"The last good checkpoint is {lastPath} (epoch {state.Epoch})." : "No epoch had been saved.") + " Try a lower learning rate.");
                    totalSum += total;
                    optimizer.ZeroGrad();
                    loss.Total.backward();
                    optimizer.Step();
                    average?.Update(globalStep);
                    double sup = loss.Supervised?.item<float>() ?? double.NaN, unsup = loss.Unsupervised?.item<float>() ?? double.NaN;
                    if (loss.Supervised is not null) { supSum += sup; supSteps++; }
                    if (loss.Unsupervised is not null) { unsupSum += unsup; unsupSteps++; }
                    globalStep++;
                    observer.Step(epoch, step + 1, steps, sup, unsup);
                }
                double stepsPerSecond = steps / epochClock.Elapsed.TotalSeconds;
                var validation = Evaluator.Score(evaluated, data.Validation, recipe.EvalBatch);
                bool best = validation.Accuracy > state.BestValidationAccuracy;
                state = new TrainingState(epoch, best ? epoch : state.BestEpoch, Math.Max(validation.Accuracy, state.BestValidationAccuracy),
                    wallBefore + clock.Elapsed.TotalSeconds);
                var metrics = new EpochMetrics(epoch, globalStep, supSum / Math.Max(1, supSteps), unsupSum / Math.Max(1, unsupSteps), totalSum / steps,
                    validation.Loss, validation.Accuracy, lr, state.WallSeconds, stepsPerSecond, Environment.WorkingSet / 1048576.0,
                    // The .NET heap's share of the RSS, garbage included: it tells the collector's climbs from libtorch's.
                    GC.GetTotalMemory(forceFullCollection: false) / 1048576.0,
                    // The memory the runtime keeps for that heap (as of its last collection), empty parts included: with
                    // the heap's size it tells whether a step in the RSS is the runtime's or native memory's.
                    GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0);
                AppendMetrics(runDir, metrics, epoch - 1);
                Log(tensorboard, metrics);
                if (best) Checkpoint.Save(Path.Combine(runDir, BestCheckpoint), evaluated, recipe, state, null);
                Checkpoint.Save(lastPath, evaluated, recipe, state, optimizer, average is null ? null : model);
                observer.Epoch(metrics, best);
            }
            catch (ExternalException e)
            {
                // The checkpoint on disk, not the state in memory: a failure while saving leaves the previous one.
                throw new NativeFailureException(epoch, SavedEpoch(runDir), runDir, e);
            }
        }
        return new(state, false);
    }

    /// <summary>The last epoch a run directory's last checkpoint holds on disk; 0 before the first is saved.</summary>
    public static int SavedEpoch(string runDir)
    {
        var last = Path.Combine(runDir, LastCheckpoint);
        return File.Exists(last) ? Checkpoint.ReadHeader(last).State.Epoch : 0;
    }

    /// <summary>A new run would append its metrics to another run's and, after a libtorch failure, go back to that run's
    /// checkpoint; so a directory that holds a run is refused.</summary>
    public static void RefuseUsed(string runDir)
    {
        var used = new[] { LastCheckpoint, MetricsFile }.FirstOrDefault(f => File.Exists(Path.Combine(runDir, f)));
        if (used != null)
            throw new SemisupException($"{runDir} already holds a run ({used}). Continue it with `semisup train --resume {runDir}`, or train into another directory.");
    }

    static void Log(SummaryWriter tensorboard, EpochMetrics m)
    {
        tensorboard.add_scalar("loss/supervised", (float)m.SupervisedLoss, m.Epoch);
        tensorboard.add_scalar("loss/unsupervised", (float)m.UnsupervisedLoss, m.Epoch);
        tensorboard.add_scalar("loss/validation", (float)m.ValidationLoss, m.Epoch);
        tensorboard.add_scalar("accuracy/validation", (float)m.ValidationAccuracy, m.Epoch);
        tensorboard.add_scalar("learning_rate", (float)m.LearningRate, m.Epoch);
        tensorboard.add_scalar("speed/steps_per_second", (float)m.StepsPerSecond, m.Epoch);
        tensorboard.add_scalar("memory/rss_mb", (float)m.RssMegabytes, m.Epoch);
        tensorboard.add_scalar("memory/dotnet_heap_mb", (float)m.ManagedMegabytes, m.Epoch);
        tensorboard.add_scalar("memory/dotnet_committed_mb", (float)m.CommittedMegabytes, m.Epoch);
    }

    /// <summary>A new model (initialised as the recipe says), its optimizer and, if the recipe averages weights, the average.</summary>
    static Learner Start(Recipe recipe, RunData data, ITrainingObserver observer)
    {
        torch.manual_seed((long)recipe.Seed);
        var made = new List<IDisposable>();
        try
        {
            var model = ModelRegistry.Create(recipe);
            made.Add(model);
            if (recipe.Init == "kmeans") KMeansInit.FirstLayer(model, data.Unlabeled.Images, recipe.Seed, recipe.InitRange);
            if (recipe.WarmStart != null) observer.Message(WarmStart.From(model, recipe.WarmStart));
            var optimizer = NewOptimizer(model, recipe);
            made.Add(optimizer);
            var average = recipe.AveragesWeights ? WeightAverage.Of(model, () => ModelRegistry.Create(recipe), recipe.EmaDecay) : null;
            return new(model, optimizer, average, new TrainingState(0, 0, 0, 0));
        }
        catch
        {
            foreach (var d in made) d.Dispose();
            throw;
        }
    }

    static IOptimizer NewOptimizer(Classifier model, Recipe recipe) => Optimizers.Create(model.parameters(), recipe);

    /// <summary>The epoch's labeled and unlabeled index orders, from a generator seeded by (seed, epoch), so a resumed
    /// run sees the same batches.</summary>
    static (long[] Labeled, long[] Unlabeled) EpochOrder(Recipe recipe, int epoch, int steps, int unlabeledBatch, RunData data)
    {
        using var generator = new Generator(recipe.Seed * 1_000_003UL + (ulong)epoch);
        return (Passes(data.Labeled.Count, steps * recipe.LabeledBatch, generator), Passes(data.Unlabeled.Count, steps * unlabeledBatch, generator));
    }

    /// <summary><paramref name="needed"/> indices below <paramref name="count"/>, drawn in passes without replacement:
    /// whole permutations from <paramref name="generator"/>, one after another, the last cut short.</summary>
    public static long[] Passes(long count, int needed, Generator generator)
    {
        var order = new long[needed];
        for (int filled = 0; count > 0 && filled < needed;)
        {
            // Only the part used is copied: a whole pass over the unlabeled set is a large object, which only a full
            // collection would free. The whole permutation is still drawn, so the generator moves on as it always has.
            using var perm = randperm(count, generator: generator);
            int take = (int)Math.Min(count, needed - filled);
            using var used = perm.slice(0, 0, take, 1);
            used.data<long>().CopyTo(order, filled);
            filled += take;
        }
        return order;
    }

    /// <summary>What a stopped run leaves to continue from, as one sentence for its message.</summary>
    public static string WhereToContinue(string runDir, int savedEpoch) => savedEpoch > 0
        ? $"{Path.Combine(runDir, LastCheckpoint)} holds epoch {savedEpoch}; continue with `semisup train --resume {runDir}`."
        : "No epoch had been saved; start the run again.";

    static void AppendMetrics(string runDir, EpochMetrics metrics, int savedEpoch)
    {
        try { File.AppendAllText(Path.Combine(runDir, MetricsFile), JsonSerializer.Serialize(metrics, Recipe.Json).ReplaceLineEndings("") + "\n"); }
        catch (IOException e)
        {
            throw new SemisupException($"Could not write {MetricsFile} ({e.Message}); training stopped. {WhereToContinue(runDir, savedEpoch)}", e);
        }
    }

    public static IReadOnlyList<EpochMetrics> ReadMetrics(string runDir)
    {
        var path = Path.Combine(runDir, MetricsFile);
        if (!File.Exists(path)) return [];
        return File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, Recipe.Json)!).ToList();
    }

    /// <summary>Drops lines written after the checkpoint a run resumes from, and a line cut short by a full disk.</summary>
    static void TrimMetrics(string path, int epoch)
    {
        if (!File.Exists(path)) return;
        static EpochMetrics? Parse(string line)
        {
            try { return JsonSerializer.Deserialize<EpochMetrics>(line, Recipe.Json); }
            catch (JsonException) { return null; }
        }
        var keep = File.ReadLines(path).Where(l => Parse(l) is { } m && m.Epoch <= epoch).ToList();
        File.WriteAllLines(path, keep);
    }

    sealed class NullObserver : ITrainingObserver;
}
