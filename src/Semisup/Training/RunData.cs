using Semisup.Data;
using static TorchSharp.torch;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>The four sets a run uses, in memory: labeled, unlabeled, validation (from the training images, by the
/// split) and the official test set.</summary>
public sealed class RunData(ImageSet labeled, ImageSet unlabeled, ImageSet validation, ImageSet test) : IDisposable
{
    public ImageSet Labeled { get; } = labeled;
    public ImageSet Unlabeled { get; } = unlabeled;
    public ImageSet Validation { get; } = validation;
    public ImageSet Test { get; } = test;

    public Tensor Labels(Tensor indices) => Labeled.Labels.index_select(0, indices);

    public static RunData From(DatasetFiles files, Split split, string dataset)
    {
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{dataset} train");
        return new(train.Subset(split.Labeled), train.Subset(split.Unlabeled), train.Subset(split.Validation),
            ImageSet.From(files.TestImages, files.TestLabels, $"{dataset} test"));
    }

    public void Dispose() { Labeled.Dispose(); Unlabeled.Dispose(); Validation.Dispose(); Test.Dispose(); }
}
