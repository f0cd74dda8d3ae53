using Semisup.Recipes;
using TorchSharp.Modules;

namespace Semisup.Training;

/// <summary>Told about training as it goes: the CLI draws a bar or prints lines, <see cref="TensorBoardLog"/> logs
/// each epoch's curves.</summary>
public interface ITrainingObserver
{
    /// <summary>Training starts, or starts again from the last checkpoint after libtorch failed.</summary>
    void Started(Recipe recipe, int firstEpoch, int stepsPerEpoch) { }
    void Step(int epoch, int step, int stepsPerEpoch, double supervised, double unsupervised) { }
    void Epoch(EpochMetrics metrics, bool isBest) { }
    void Message(string text) { }
}

/// <summary>Several observers, told in order.</summary>
sealed class Observers(params ITrainingObserver?[] observers) : ITrainingObserver
{
    readonly ITrainingObserver[] all = [.. observers.OfType<ITrainingObserver>()];

    public void Started(Recipe recipe, int firstEpoch, int stepsPerEpoch) { foreach (var o in all) o.Started(recipe, firstEpoch, stepsPerEpoch); }
    public void Step(int epoch, int step, int stepsPerEpoch, double supervised, double unsupervised) { foreach (var o in all) o.Step(epoch, step, stepsPerEpoch, supervised, unsupervised); }
    public void Epoch(EpochMetrics metrics, bool isBest) { foreach (var o in all) o.Epoch(metrics, isBest); }
    public void Message(string text) { foreach (var o in all) o.Message(text); }
}

/// <summary>Each epoch's curves as TensorBoard scalars, in the record's events directory.</summary>
public sealed class TensorBoardLog(IRunRecord run) : ITrainingObserver
{
    SummaryWriter? writer;

    /// <summary>Rewrites the events from the metrics, the record, whenever training (re)starts: a resumed run shows no
    /// epoch twice nor one it went back on, and one writer keeps one events file.</summary>
    public void Started(Recipe recipe, int firstEpoch, int stepsPerEpoch)
    {
        if (Directory.Exists(run.TensorBoardPath)) Directory.Delete(run.TensorBoardPath, recursive: true);
        writer = TorchSharp.torch.utils.tensorboard.SummaryWriter(run.TensorBoardPath);
        foreach (var m in run.ReadMetrics()) Log(writer, m);
    }

    public void Epoch(EpochMetrics metrics, bool isBest) => Log(writer ?? throw new InvalidOperationException("An epoch ended before training started."), metrics);

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
}
