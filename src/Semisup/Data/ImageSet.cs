using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Data;

/// <summary>A dataset in memory: images [N,C,H,W] as bytes 0–255 (or floats in [0,1]), labels as int64 [N] (−1 for an
/// unlabeled image). The network sees floats in [0,1]: <see cref="Batch"/> and <see cref="Slice"/> convert what they
/// take, so a set of 50,000 colour photos stays a quarter of its float size.</summary>
public sealed class ImageSet(Tensor images, Tensor labels) : IDisposable
{
    /// <summary>The images as stored: uint8 0–255 or float32 in [0,1].</summary>
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public long Count => Labels.shape[0];

    /// <summary>The images at the given indices, as float32 in [0,1].</summary>
    public Tensor Batch(Tensor indices) => ToFloats(Images.index_select(0, indices));

    /// <summary>Images start to start + count, as float32 in [0,1].</summary>
    public Tensor Slice(long start, long count) => ToFloats(Images.narrow(0, start, count));

    /// <summary>Images as the network sees them: bytes become float32 in [0,1], floats are returned as they are. The one
    /// conversion, so a prediction sees the same numbers as evaluation.</summary>
    public static Tensor ToFloats(Tensor t) => t.dtype == ScalarType.Byte ? t.to_type(ScalarType.Float32).div_(255f) : t;

    /// <summary>The images and labels at the given indices (a copy).</summary>
    public ImageSet Subset(int[] indices)
    {
        using var idx = tensor(indices, ScalarType.Int64);
        return new(Images.index_select(0, idx), Labels.index_select(0, idx));
    }

    /// <summary>A folder's part, as bytes.</summary>
    public static ImageSet From(ImagePartition part) => new(part.ToTensor(), part.LabelTensor());

    public static ImageSet From(IdxArray images, IdxArray labels, string name)
    {
        if (images.Shape.Length != 3 || labels.Shape.Length != 1 || images.Count != labels.Count)
            throw new SemisupException($"{name}: expected images N×H×W and N labels, got {string.Join("x", images.Shape)} and {string.Join("x", labels.Shape)}.");
        if (labels.Data.Any(l => l > 9)) throw new SemisupException($"{name}: labels must be 0–9.");
        using var scope = NewDisposeScope();
        var x = tensor(images.Data, ScalarType.Byte).reshape(images.Count, 1, images.Shape[1], images.Shape[2]);
        var y = tensor(labels.Data, ScalarType.Byte).to_type(ScalarType.Int64);
        return new(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    public void Dispose() { Images.Dispose(); Labels.Dispose(); }
}

/// <summary>The four files of a dataset, read and checked.</summary>
public sealed record DatasetFiles(IdxArray TrainImages, IdxArray TrainLabels, IdxArray TestImages, IdxArray TestLabels)
{
    public static DatasetFiles Read(string dir, DatasetInfo ds)
    {
        IdxArray R(DatasetFile f) => Idx.Parse(Idx.ReadContent(DatasetStore.Find(dir, ds, f)
            ?? throw new DataFilesException($"{Path.Combine(dir, f.Name)}: missing.", ds, DataRemedy.Fetch), f.Length), f.Name);
        return new(R(ds.TrainImages), R(ds.TrainLabels), R(ds.TestImages), R(ds.TestLabels));
    }
}
