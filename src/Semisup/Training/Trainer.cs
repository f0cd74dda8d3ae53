using System.Diagnostics;
using System.Runtime.InteropServices;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Optim;
using Semisup.Recipes;
using static TorchSharp.torch;

namespace Semisup.Training;

public sealed record TrainResult(TrainingState State, bool Interrupted);

/// <summary>libtorch failed during an epoch; <see cref="SavedEpoch"/> is the epoch the last checkpoint holds (0: none),
/// from which the run in <see cref="RunDir"/> can be resumed.</summary>
public sealed class NativeFailureException(int epoch, int savedEpoch, string runDir, Exception inner)
    : SemisupException($"libtorch failed in epoch {epoch}: {FirstLine(inner.Message)}. " +
        (savedEpoch > 0 ? $"The run in {runDir} holds epoch {savedEpoch}; resume it from there." : "No epoch had been saved; start the run again."), inner)
{
    public int Epoch => epoch;
    public int SavedEpoch => savedEpoch;
    public string RunDir => runDir;
    public string Detail => FirstLine(InnerException!.Message);

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');
}

/// <summary>The training loop, in three phases: <see cref="Prepare"/> (a new model, or the last checkpoint's),
/// <see cref="TrainEpoch"/> (the steps: a batch in <see cref="BatchOrder"/>, augmentation, the method's loss, the
/// optimizer at the schedule's rate, the weight average) and <see cref="FinishEpoch"/> (validation, of the average when
/// there is one; the metrics line; best and last checkpoints). Observers hear of each step and epoch.</summary>
public sealed class Trainer : IDisposable
{
    /// <summary>How often a run goes back to its last checkpoint after libtorch fails, before it gives up.</summary>
    public const int NativeRetries = 3;

    readonly Recipe recipe;
    readonly IRunRecord run;
    readonly RunData data;
    readonly ITrainingObserver observer;
    readonly Learner learner;
    readonly BatchOrder order;
    readonly int steps;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly double wallBefore;
    TrainingState state;
    long globalStep;

    Trainer(Recipe recipe, IRunRecord run, RunData data, ITrainingObserver observer, Learner learner)
    {
        (this.recipe, this.run, this.data, this.observer, this.learner, state) = (recipe, run, data, observer, learner, learner.State);
        steps = recipe.Method.StepsPerEpoch(recipe.Run.StepsPer((int)data.Labeled.Count));
        // A method that learns from labels alone draws no unlabeled images.
        int unlabeledBatch = recipe.Method.UsesUnlabeled ? recipe.Run.UnlabeledBatch : 0;
        order = new BatchOrder(recipe.Data.Seed, data.Labeled.Count, data.Unlabeled.Count, steps, recipe.Run.LabeledBatch, unlabeledBatch);
        wallBefore = state.WallSeconds;
        globalStep = (long)state.Epoch * steps;
    }

    /// <summary>Trains a new run into <paramref name="run"/>, or resumes it from its last checkpoint, to the recipe's last
    /// epoch or until <paramref name="cancel"/>; TensorBoard logs it beside <paramref name="observer"/>.</summary>
    public static TrainResult Run(Recipe recipe, IRunRecord run, RunData data, ITrainingObserver? observer = null, CancellationToken cancel = default, bool resume = false)
    {
        // One events file, however often the run goes back to its checkpoint.
        var observers = new Observers(new TensorBoardLog(run), observer);
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
                using var trainer = Prepare(recipe, run, data, observers, resume);
                return trainer.Train(cancel);
            }
            catch (NativeFailureException e) when (previous is { } p && (p.Epoch, p.Detail) == (e.Epoch, e.Detail))
            {
                throw new SemisupException($"libtorch failed in epoch {e.Epoch} again after going back to epoch {e.SavedEpoch}: {e.Detail}. " +
                    "It fails the same way every time, so the recipe (a learning rate, a schedule, a size) is the cause, not a passing failure.", e);
            }
            catch (NativeFailureException e) when (retry <= NativeRetries && e.SavedEpoch > 0)
            {
                observers.Message($"libtorch failed in epoch {e.Epoch}: {e.Detail}; continuing from epoch {e.SavedEpoch} (retry {retry} of {NativeRetries}).");
                previous = e;
                resume = true;
            }
        }
    }

    /// <summary>Checks the run can start, readies the record, and makes the learner: new, or from the last checkpoint.</summary>
    /// <summary>The recipe keys a resumed run may change: a longer run of the same experiment, on another thread count.</summary>
    public static readonly string[] ResumeMayChange = ["run.epochs", "run.threads"];

    /// <summary>Refuses to resume from <paramref name="checkpoint"/> when it was written with another recipe than
    /// <paramref name="recipe"/> (named <paramref name="source"/>), apart from <see cref="ResumeMayChange"/>: the run
    /// would train the checkpoint's network and save it under the other recipe's header, which nothing could load.</summary>
    public static void RefuseOtherRecipe(string checkpoint, Recipe recipe, string source)
    {
        var saved = Checkpoint.ReadHeader(checkpoint).Recipe;
        saved = saved with { Run = saved.Run with { Epochs = recipe.Run.Epochs, Threads = recipe.Run.Threads } };
        if (FirstDifference(System.Text.Json.Nodes.JsonNode.Parse(saved.ToJson()), System.Text.Json.Nodes.JsonNode.Parse(recipe.ToJson()), "") is { } d)
            throw new SemisupException($"{checkpoint} was written with another {d.Key} ({d.Saved} there, {d.Given} in {source}); " +
                "a run resumes only with the recipe it started with: restore that recipe, or train a new run.");
    }

    /// <summary>The first key, in file order, whose value differs between two recipes' JSON.</summary>
    static (string Key, string Saved, string Given)? FirstDifference(System.Text.Json.Nodes.JsonNode? saved, System.Text.Json.Nodes.JsonNode? given, string at)
    {
        if (saved is System.Text.Json.Nodes.JsonObject a && given is System.Text.Json.Nodes.JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Concat(b.Select(p => p.Key)).Distinct())
                if (FirstDifference(a[key], b[key], at.Length == 0 ? key : $"{at}.{key}") is { } d) return d;
            return null;
        }
        string Text(System.Text.Json.Nodes.JsonNode? n) => n?.ToJsonString() ?? "none";
        return Text(saved) == Text(given) ? null : (at, Text(saved), Text(given));
    }

    static Trainer Prepare(Recipe recipe, IRunRecord run, RunData data, ITrainingObserver observer, bool resume)
    {
        set_num_threads(recipe.Run.Threads);
        if (recipe.Method.UsesUnlabeled && (data.Unlabeled.Count == 0 || recipe.Run.UnlabeledBatch == 0))
            throw new SemisupException($"The {recipe.MethodKind} method needs unlabeled images and run.unlabeledBatch > 0; use fewer labels or the supervised method.");
        if (resume && !File.Exists(run.LastPath)) throw new SemisupException($"{run.Path} has no {System.IO.Path.GetFileName(run.LastPath)} to resume from.");
        if (!resume) run.RefuseUsed();
        run.RemoveUnfinishedSaves();
        // Before anything is written: saving another recipe's header over these weights would lose them.
        if (resume) RefuseOtherRecipe(run.LastPath, recipe, "the run's recipe");
        if (resume && Checkpoint.Unverified(run.LastPath, Checkpoint.ReadHeader(run.LastPath)) is { } unverified) observer.Message(unverified);
        var learner = resume ? Checkpoint.Resume(run.LastPath, m => Factory.Optimizer(m, recipe)) : Start(recipe, data, observer);
        if (resume) run.TrimMetrics(learner.State.Epoch);
        learner.Model.train();
        return new Trainer(recipe, run, data, observer, learner);
    }

    /// <summary>A new model (initialised as the recipe says), its optimizer and, if the recipe averages weights, the average.</summary>
    static Learner Start(Recipe recipe, RunData data, ITrainingObserver observer)
    {
        manual_seed((long)recipe.Data.Seed);
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

    /// <summary>Epoch after epoch to the recipe's last, or until cancelled (the epoch under way is dropped).</summary>
    TrainResult Train(CancellationToken cancel)
    {
        observer.Started(recipe, state.Epoch + 1, steps);
        for (int epoch = state.Epoch + 1; epoch <= recipe.Run.Epochs; epoch++)
        {
            try
            {
                if (TrainEpoch(epoch, cancel) is not { } losses) return new(state with { WallSeconds = Wall }, Interrupted: true);
                FinishEpoch(epoch, losses);
            }
            catch (ExternalException e)
            {
                // The checkpoint on disk, not the state in memory: a failure while saving leaves the previous one.
                throw new NativeFailureException(epoch, run.SavedEpoch, run.Path, e);
            }
        }
        return new(state, Interrupted: false);
    }

    double Wall => wallBefore + clock.Elapsed.TotalSeconds;

    /// <summary>The epoch's steps at the schedule's rate; null if cancelled.</summary>
    EpochLosses? TrainEpoch(int epoch, CancellationToken cancel)
    {
        var losses = new EpochLosses(recipe.Schedule.At(epoch, recipe.Optimizer.LearningRate, recipe.Run.Epochs));
        learner.Optimizer.LearningRate = losses.LearningRate;
        var batches = order.Of(epoch);
        for (int step = 0; step < steps; step++)
        {
            if (cancel.IsCancellationRequested) return null;
            var (sup, unsup) = Step(epoch, step, batches.At(step), losses);
            observer.Step(epoch, step + 1, steps, sup, unsup);
        }
        return losses;
    }

    /// <summary>One batch: the method's loss, its gradient, the optimizer's update and the weight average's.</summary>
    (double Supervised, double Unsupervised) Step(int epoch, int step, (long[] Labeled, long[] Unlabeled) batch, EpochLosses losses)
    {
        var (model, optimizer, average, _) = learner;
        using var scope = NewDisposeScope();
        using var li = tensor(batch.Labeled);
        using var ui = tensor(batch.Unlabeled);
        var x = recipe.Augmentation.Apply(data.Labeled.Batch(li));
        var u = data.Unlabeled.Batch(ui);
        optimizer.BeforeGradient();
        var loss = recipe.Method.Loss(model, new Batch(x, data.Labels(li), u, new Progress(epoch, step, steps), recipe.Augmentation)
            { Teacher = average?.Model });
        float total = loss.Total.item<float>();
        if (!float.IsFinite(total))
            throw new SemisupException($"The loss became {total} at epoch {epoch}, step {step + 1}; training stopped. " +
                (state.Epoch > 0 ? $"The last good checkpoint is {run.LastPath} (epoch {state.Epoch})." : "No epoch had been saved.") + " Try a lower learning rate.");
        optimizer.ZeroGrad();
        loss.Total.backward();
        optimizer.Step();
        average?.Update(globalStep);
        globalStep++;
        return losses.Add(total, loss.Supervised?.item<float>(), loss.Unsupervised?.item<float>());
    }

    /// <summary>Validation, the new state, the metrics line, the checkpoints; then the observers hear of the epoch.</summary>
    void FinishEpoch(int epoch, EpochLosses losses)
    {
        var evaluated = learner.Average?.Model ?? learner.Model;
        double stepsPerSecond = steps / losses.Clock.Elapsed.TotalSeconds;
        var validation = Evaluator.Score(evaluated, data.Validation, recipe.Run.EvalBatch);
        bool best = validation.Accuracy > state.BestValidationAccuracy;
        state = new TrainingState(epoch, best ? epoch : state.BestEpoch, Math.Max(validation.Accuracy, state.BestValidationAccuracy),
            Wall);
        var metrics = new EpochMetrics(epoch, globalStep, losses.Supervised, losses.Unsupervised, losses.Total / steps,
            validation.Loss, validation.Accuracy, losses.LearningRate, state.WallSeconds, stepsPerSecond, Environment.WorkingSet / 1048576.0,
            // The .NET heap's share of the RSS, garbage included: it tells the collector's climbs from libtorch's.
            GC.GetTotalMemory(forceFullCollection: false) / 1048576.0,
            // The memory the runtime keeps for that heap (as of its last collection), empty parts included: with
            // the heap's size it tells whether a step in the RSS is the runtime's or native memory's.
            GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0);
        run.AppendMetrics(metrics, epoch - 1);
        if (best) Checkpoint.Save(run.BestPath, evaluated, recipe, state, null);
        Checkpoint.Save(run.LastPath, evaluated, recipe, state, learner.Optimizer, learner.Average is null ? null : learner.Model);
        observer.Epoch(metrics, best);
    }

    public void Dispose() => learner.Dispose();

    /// <summary>An epoch's sums of the losses, each part over the steps that computed it.</summary>
    sealed class EpochLosses(double learningRate)
    {
        double supervised, unsupervised;
        int supervisedSteps, unsupervisedSteps;

        public double LearningRate { get; } = learningRate;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public double Total { get; private set; }
        public double Supervised => supervised / Math.Max(1, supervisedSteps);
        public double Unsupervised => unsupervised / Math.Max(1, unsupervisedSteps);

        /// <summary>Adds a step's losses; returns its parts, NaN for one the method did not compute.</summary>
        public (double Supervised, double Unsupervised) Add(float total, float? sup, float? unsup)
        {
            Total += total;
            if (sup is float s) { supervised += s; supervisedSteps++; }
            if (unsup is float u) { unsupervised += u; unsupervisedSteps++; }
            return (sup ?? double.NaN, unsup ?? double.NaN);
        }
    }
}
