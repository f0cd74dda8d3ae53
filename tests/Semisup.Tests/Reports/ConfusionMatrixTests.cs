using Semisup.Data;
using Semisup.Reports;

namespace Semisup.Tests.Reports;

public class ConfusionMatrixTests
{
    [Fact]
    public void Counts_and_lists_the_mistakes_most_frequent_first()
    {
        long[] truth = [7, 7, 7, 2, 4, 4, 0, 7, 4];
        long[] predicted = [2, 2, 7, 2, 9, 9, 0, 4, 4];
        var m = Confusion.Count(truth, predicted, 10);
        Assert.Equal((2, 1, 2, 1, 1), (m[7, 2], m[7, 7], m[4, 9], m[4, 4], m[7, 4]));
        // Two cells of 2 (4 as 9 before 7 as 2: ties go by true class), then the 1; the diagonal is not a mistake.
        Assert.Equal([(4, 9, 2), (7, 2, 2), (7, 4, 1)], Confusion.Mistakes(m).ToArray());
        Assert.Empty(Confusion.Mistakes(Confusion.Count([1, 2], [1, 2], 3)));
    }
}
