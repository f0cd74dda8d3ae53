using Semisup.Data;
using Semisup.Tests.Data;
using Semisup.Training;

namespace Semisup.Tests.Training;

/// <summary>Small slices of real MNIST for training tests that must run in seconds.</summary>
public static class SmallRuns
{
    public static RunData Data(MnistFixture mnist, int labels = 100, int unlabeled = 500, int validation = 500, ulong seed = 1)
    {
        var split = Split.Create("mnist", mnist.Files.TrainLabels.Data, labels, seed);
        split = split with { Unlabeled = split.Unlabeled[..unlabeled], Validation = split.Validation[..validation] };
        return RunData.From(mnist.Files, split, "mnist");
    }

    public static Recipe Recipe(int epochs = 2, int steps = 4) =>
        new Recipe { Data = new(Labels: 100), Run = new(Epochs: epochs, StepsPerEpoch: steps, LabeledBatch: 20, UnlabeledBatch: 20, EvalBatch: 250, Threads: 2) }.Validate();
}
