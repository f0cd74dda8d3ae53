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
using Semisup.Recipes;
using Semisup.Runs;

namespace Semisup.Training;

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
    : SemisupException($"libtorch failed in epoch {epoch}: {FirstLine(inner.Message)}. {new RunDirectory(runDir).WhereToContinue(savedEpoch)}", inner)
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
        // A failure that comes back at the same epoch with the same message is the run's own (an overflow, a bad
        // value), not that race: it stops at once with its cause.
        NativeFailureException? previous = null;
        for (int retry = 1; ; retry++)
        {
            try
            {
                return RunFrom(recipe, runDir, data, observer, ref tensorboard, cancel, resume);
            }
            catch (NativeFailureException e) when (previous is { } p && (p.Epoch, p.Detail) == (e.Epoch, e.Detail))
            {
                throw new SemisupException($"libtorch failed in epoch {e.Epoch} again after going back to epoch {e.SavedEpoch}: {e.Detail}. " +
                    "It fails the same way every time, so the recipe (a learning rate, a schedule, a size) is the cause, not a passing failure.", e);
            }
            catch (NativeFailureException e) when (retry <= NativeRetries && e.SavedEpoch > 0)
            {
                observer.Message($"libtorch failed in epoch {e.Epoch}: {e.Detail}; continuing from epoch {e.SavedEpoch} (retry {retry} of {NativeRetries}).");
                previous = e;
                resume = true;
            }
        }
    }

    static TrainResult RunFrom(Recipe recipe, string runDir, RunData data, ITrainingObserver observer, ref SummaryWriter? tensorboard, CancellationToken cancel, bool resume)
    {
        torch.set_num_threads(recipe.Run.Threads);
        var method = recipe.Method;
        if (method.UsesUnlabeled && (data.Unlabeled.Count == 0 || recipe.Run.UnlabeledBatch == 0))
            throw new SemisupException($"The {recipe.MethodKind} method needs unlabeled images and run.unlabeledBatch > 0; use fewer labels or the supervised method.");
        var run = new RunDirectory(runDir);
        var augment = recipe.Augmentation;
        int steps = method.StepsPerEpoch(recipe.Run.StepsPer((int)data.Labeled.Count));
        // A method that learns from labels alone draws no unlabeled images.
        int unlabeledBatch = method.UsesUnlabeled ? recipe.Run.UnlabeledBatch : 0;
        int labeledBatch = recipe.Run.LabeledBatch;

        var lastPath = run.LastPath;
        if (resume && !File.Exists(lastPath)) throw new SemisupException($"{runDir} has no {RunDirectory.Last} to resume from.");
        if (!resume) run.RefuseUsed();
        run.RemoveUnfinishedSaves();
        if (resume && Checkpoint.ReadHeader(lastPath).Recipe.AverageDecay != recipe.AverageDecay)
            throw new SemisupException($"{lastPath} was written with another run.emaDecay; a run resumes with the recipe it started with.");
        using var learner = resume ? Checkpoint.Resume(lastPath, m => Factory.Optimizer(m, recipe)) : Start(recipe, data, observer);
        if (resume) run.TrimMetrics(learner.State.Epoch);
        var (model, optimizer, average, state) = learner;
        var evaluated = average?.Model ?? model;
        var methodState = new MethodState(state.MethodState);
        model.train();
        var clock = Stopwatch.StartNew();
        double wallBefore = state.WallSeconds;
        long globalStep = (long)state.Epoch * steps;
        observer.Started(recipe, state.Epoch + 1, steps);
        if (resume || tensorboard == null)
        {
            // Rewritten from metrics.jsonl, the record, so a resumed run shows no epoch twice nor one it went back on.
            var events = run[RunDirectory.TensorBoard];
            if (Directory.Exists(events)) Directory.Delete(events, recursive: true);
            tensorboard = torch.utils.tensorboard.SummaryWriter(events);
            foreach (var m in run.ReadMetrics()) Log(tensorboard, m);
        }

        for (int epoch = state.Epoch + 1; epoch <= recipe.Run.Epochs; epoch++)
        {
            try
            {
                double lr = recipe.Schedule.At(epoch, recipe.Optimizer.LearningRate, recipe.Run.Epochs);
                optimizer.LearningRate = lr;
                var (labeledOrder, unlabeledOrder) = EpochOrder(recipe.Data.Seed, epoch, steps * labeledBatch, steps * unlabeledBatch, data);
                double supSum = 0, unsupSum = 0, totalSum = 0;
                int supSteps = 0, unsupSteps = 0;
                var epochClock = Stopwatch.StartNew();
                for (int step = 0; step < steps; step++)
                {
                    if (cancel.IsCancellationRequested) return new(state with { WallSeconds = wallBefore + clock.Elapsed.TotalSeconds }, true);
                    using var scope = NewDisposeScope();
                    using var li = tensor(labeledOrder[(step * labeledBatch)..((step + 1) * labeledBatch)]);
                    using var ui = tensor(unlabeledOrder[(step * unlabeledBatch)..((step + 1) * unlabeledBatch)]);
                    var x = augment.Apply(data.Labeled.Images.index_select(0, li));
                    var y = data.Labels(li);
                    var u = data.Unlabeled.Images.index_select(0, ui);
                    optimizer.BeforeGradient();
                    var loss = method.Loss(model, new Batch(x, y, u, new Progress(epoch, step, steps), augment) { Teacher = average?.Model, State = methodState });
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
                var validation = Evaluator.Score(evaluated, data.Validation, recipe.Run.EvalBatch);
                bool best = validation.Accuracy > state.BestValidationAccuracy;
                state = new TrainingState(epoch, best ? epoch : state.BestEpoch, Math.Max(validation.Accuracy, state.BestValidationAccuracy),
                    wallBefore + clock.Elapsed.TotalSeconds, methodState.Values.Length == 0 ? null : [.. methodState.Values]);
                var metrics = new EpochMetrics(epoch, globalStep, supSum / Math.Max(1, supSteps), unsupSum / Math.Max(1, unsupSteps), totalSum / steps,
                    validation.Loss, validation.Accuracy, lr, state.WallSeconds, stepsPerSecond, Environment.WorkingSet / 1048576.0,
                    // The .NET heap's share of the RSS, garbage included: it tells the collector's climbs from libtorch's.
                    GC.GetTotalMemory(forceFullCollection: false) / 1048576.0,
                    // The memory the runtime keeps for that heap (as of its last collection), empty parts included: with
                    // the heap's size it tells whether a step in the RSS is the runtime's or native memory's.
                    GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0);
                run.AppendMetrics(metrics, epoch - 1);
                Log(tensorboard, metrics);
                if (best) Checkpoint.Save(run.BestPath, evaluated, recipe, state, null);
                Checkpoint.Save(lastPath, evaluated, recipe, state, optimizer, average is null ? null : model);
                observer.Epoch(metrics, best);
            }
            catch (ExternalException e)
            {
                // The checkpoint on disk, not the state in memory: a failure while saving leaves the previous one.
                throw new NativeFailureException(epoch, run.SavedEpoch, runDir, e);
            }
        }
        return new(state, false);
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
        torch.manual_seed((long)recipe.Data.Seed);
        var made = new List<IDisposable>();
        try
        {
            var (model, note) = Initialisation.NewModel(recipe, () => data.Unlabeled);
            made.Add(model);
            if (note != null) observer.Message(note);
            var optimizer = Factory.Optimizer(model, recipe);
            made.Add(optimizer);
            var average = recipe.AverageDecay > 0 ? WeightAverage.Of(model, () => Factory.Model(recipe), recipe.AverageDecay) : null;
            return new(model, optimizer, average, new TrainingState(0, 0, 0, 0));
        }
        catch
        {
            foreach (var d in made) d.Dispose();
            throw;
        }
    }

    /// <summary>The epoch's labeled and unlabeled index orders, from a generator seeded by (seed, epoch), so a resumed
    /// run sees the same batches.</summary>
    static (long[] Labeled, long[] Unlabeled) EpochOrder(ulong seed, int epoch, int labeled, int unlabeled, RunData data)
    {
        using var generator = new Generator(seed * 1_000_003UL + (ulong)epoch);
        return (Passes(data.Labeled.Count, labeled, generator), Passes(data.Unlabeled.Count, unlabeled, generator));
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

    /// <summary>The test set's answers of the run's best-on-validation checkpoint, measured once, written beside it.</summary>
    public static TestResult Test(string runDir, ImageSet test)
    {
        var run = new RunDirectory(runDir);
        var (model, header) = Checkpoint.Load(run.BestPath);
        using var _ = model;
        var evaluation = Evaluator.Evaluate(model, test, header.Recipe.Run.EvalBatch);
        var result = new TestResult(RunDirectory.Best, header.State.Epoch, evaluation.Accuracy, evaluation.Loss, evaluation.Predictions);
        run.WriteTest(result);
        return result;
    }

    sealed class NullObserver : ITrainingObserver;
}
